"""A cadre on a phone logs in, sees Chinese, and reaches "my page"."""

import pytest

from tests.browser.conftest import log_in
from tests.factories import TEST_PASSWORD, CadreFactory, LiaisonFactory, UnitFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_cadre_logs_in_on_a_phone_and_reaches_my_page(live_server, phone_page, artifacts_dir):
    unit = UnitFactory(name="市教育局", short_name="教育局")
    cadre = CadreFactory(unit=unit, name="王小明")
    page = phone_page
    log_in(page, live_server.url, cadre.employee_no)
    page.wait_for_url("**/me/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.get_by_role("heading", name="我的主页").is_visible()
    assert page.get_by_test_id("my-unit").inner_text() == "市教育局"
    # The collapsed navigation opens on a phone and leads back to "my page".
    page.get_by_role("button", name="切换导航").click()
    page.get_by_role("link", name="我的主页").click()
    page.wait_for_url("**/me/")
    page.screenshot(path=str(artifacts_dir / "cadre-my-page-phone.png"), full_page=True)


def test_first_login_password_change_then_english(live_server, phone_page, artifacts_dir):
    unit = UnitFactory(name="市财政局")
    cadre = CadreFactory(unit=unit, must_change_password=True)
    page = phone_page
    log_in(page, live_server.url, cadre.employee_no)
    page.wait_for_url("**/accounts/password/change/**")
    page.locator("#id_old_password").fill(TEST_PASSWORD)
    page.locator("#id_new_password1").fill("Xinmima-2026!")
    page.locator("#id_new_password2").fill("Xinmima-2026!")
    page.get_by_role("button", name="修改我的密码").click()
    page.wait_for_url("**/password/change/done/")
    page.get_by_role("button", name="切换导航").click()
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    page.screenshot(path=str(artifacts_dir / "password-changed-english-phone.png"), full_page=True)


def test_liaison_sees_unit_cadres_with_masked_phones(live_server, phone_page, artifacts_dir):
    unit = UnitFactory(name="市体育局")
    liaison = LiaisonFactory(unit=unit, name="赵联络")
    CadreFactory(unit=unit, name="钱同事", phone="13612345678")
    page = phone_page
    log_in(page, live_server.url, liaison.employee_no)
    page.wait_for_url("**/me/")
    page.goto(f"{live_server.url}/units/mine/")
    assert page.get_by_role("heading", name="市体育局").is_visible()
    assert page.get_by_text("136****5678").is_visible()
    assert "13612345678" not in page.content()
    page.screenshot(path=str(artifacts_dir / "liaison-unit-phone.png"), full_page=True)
