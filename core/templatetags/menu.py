"""`{% main_menu as items %}`: the main menu items the user's role may open (core.menu)."""

from django import template

from core.menu import menu_for

register = template.Library()


@register.simple_tag(takes_context=True)
def main_menu(context):
    request = context.get("request")
    user = context.get("user") or getattr(request, "user", None)
    return menu_for(user, getattr(request, "resolver_match", None))
