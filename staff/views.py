from django.shortcuts import redirect


def home(request):
    """The workbench is the RM's list of groups until it has its own page."""
    return redirect("clients:group_list")
