from django.urls import path

app_name = "kpis"

urlpatterns: list[object] = []
