from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import views as accounts_views
from core import views as core_views
from core.health import healthz

urlpatterns = [
    path("", accounts_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("cong-viec/", include((core_views.urlpatterns, "core"))),
    path("dang-nhap/", auth_views.LoginView.as_view(template_name="accounts/login.html"), name="login"),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "doi-mat-khau/",
        auth_views.PasswordChangeView.as_view(template_name="accounts/password_change.html"),
        name="password_change",
    ),
    path(
        "doi-mat-khau/xong/",
        auth_views.PasswordChangeDoneView.as_view(template_name="accounts/password_change_done.html"),
        name="password_change_done",
    ),
    path("don-vi/", accounts_views.unit_list, name="unit_list"),
    path("don-vi/xuat-excel/", accounts_views.unit_export, name="unit_export"),
    path("don-vi/nhap/", accounts_views.unit_import, name="unit_import"),
    path("don-vi/nhap/xac-nhan/", accounts_views.unit_import_confirm, name="unit_import_confirm"),
    path("bo-tieu-chi/", include("criteria.urls")),
    path("danh-gia/", include("scoring.urls")),
    path("kiem-tra/", include("inspections.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("quan-tri/", admin.site.urls),
]
