from django.urls import path

from . import views

app_name = "criteria"
urlpatterns = [
    path("", views.criteria_list, name="list"),
    path("nhap/", views.criteria_import, name="import"),
    path("nhap/xac-nhan/", views.criteria_import_confirm, name="import_confirm"),
    path("<int:pk>/", views.criteria_detail, name="detail"),
    path("<int:pk>/xuat-excel/", views.criteria_export, name="export"),
    path("<int:pk>/ban-hanh/", views.criteria_publish, name="publish"),
    path("<int:pk>/phien-ban-moi/", views.criteria_new_version, name="new_version"),
    path("<int:pk>/sao-chep-nam-sau/", views.criteria_clone, name="clone"),
]
