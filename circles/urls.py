app_name = "circles"
urlpatterns: list = []
