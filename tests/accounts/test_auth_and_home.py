"""Login, logout, password change, the language switch and the home page of each role."""

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_login_and_logout(client, cast):
    response = client.post(reverse("login"), {"username": "canbo.a", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert "canbo" in client.get(reverse("home")).content.decode().lower()
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_wrong_password_is_refused_and_username_kept(client, cast):
    response = client.post(reverse("login"), {"username": "canbo.a", "password": "sai"})
    html = response.content.decode()
    assert response.status_code == 200 and 'value="canbo.a"' in html


def test_password_change(client, cast):
    client.force_login(cast["staff_a"])
    response = client.post(
        reverse("password_change"), {"old_password": PASSWORD, "new_password1": "Moi@Matkhau2027", "new_password2": "Moi@Matkhau2027"}
    )
    assert response.status_code == 302
    cast["staff_a"].refresh_from_db()
    assert cast["staff_a"].check_password("Moi@Matkhau2027")


def test_home_shows_each_role_its_work(login, cast, so_set, xa_draft):
    admin_html = login(cast["admin"]).get(reverse("home")).content.decode()
    assert "Quản trị Sở Nội vụ" in admin_html and "XA-2026" in admin_html  # a draft to publish
    assert "THPT" in admin_html  # a group without a published set this year
    staff_html = login(cast["staff_a"]).get(reverse("home")).content.decode()
    assert "Cán bộ đơn vị" in staff_html and "SO-2026" in staff_html and "XA-2026" not in staff_html
    commune_html = login(cast["staff_x"]).get(reverse("home")).content.decode()
    assert "SO-2026" not in commune_html


def test_a_user_with_two_roles_sees_both(login, cast, so_set):
    user = cast["staff_a"]
    user.is_unit_head = True
    user.save()
    html = login(user).get(reverse("home")).content.decode()
    assert "Cán bộ đơn vị" in html and "Lãnh đạo đơn vị" in html


def test_language_switch_to_english_and_back(client, cast):
    client.force_login(cast["staff_a"])
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("home")).content.decode()
    assert 'lang="en"' in html and "Change password" in html
    client.post(reverse("set_language"), {"language": "vi", "next": "/"})
    assert "Đổi mật khẩu" in client.get(reverse("home")).content.decode()


def test_vietnamese_is_the_default_with_vietnamese_dates(client, cast):
    client.force_login(cast["staff_a"])
    html = client.get(reverse("home")).content.decode()
    assert 'lang="vi"' in html and "Hôm nay" in html
    import re

    assert re.search(r"\d\d/\d\d/\d{4}", html)


def test_an_english_browser_still_gets_vietnamese_until_the_user_switches(client, cast):
    client.force_login(cast["staff_a"])
    html = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="vi"' in html and "Đổi mật khẩu" in html
