"""Robot messages against a real local HTTP server standing in for WeCom and DingTalk (lib.alerts.robots):
the body each expects, DingTalk's signature checked the way its server checks it, errors raised."""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
import urllib.parse

import pytest

from lib.alerts import robots
from tests.lib.conftest import SECRET, Robot

MESSAGE = robots.Message("症候群预警 · 乌加河镇",
                         ("发热伴呼吸道症状：7日就诊 23，阈值（P80）14", "请 24 小时内完成初步核实"),
                         "http://cockpit.local/alerts?area=pastoral")


def test_wecom_gets_markdown(robot: str) -> None:
    robots.send(robots.Channel("卫健委群", "wecom", f"{robot}/wecom?key=K"), MESSAGE)
    (path, body), = Robot.received
    assert path == "/wecom"
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["content"].startswith("**症候群预警 · 乌加河镇**\n> 发热伴呼吸道症状")
    assert "http://cockpit.local/alerts?area=pastoral" in body["markdown"]["content"]


def test_wecom_content_is_cut_to_4096_bytes() -> None:
    long = robots.Message("预警", tuple("乌加河镇发热" * 50 for _ in range(20)))
    content = robots.payload(robots.Channel("g", "wecom", "http://x"), long)["markdown"]["content"]
    assert len(content.encode()) <= robots.WECOM_MAX_BYTES


def test_dingtalk_signed_request_is_accepted(robot: str) -> None:
    robots.send(robots.Channel("钉钉群", "dingtalk", f"{robot}/dingtalk?access_token=T", SECRET), MESSAGE)
    (path, body), = Robot.received
    assert path == "/dingtalk"
    assert body["markdown"]["title"] == "症候群预警 · 乌加河镇"


def test_dingtalk_wrong_secret_is_an_error(robot: str) -> None:
    with pytest.raises(robots.SendError, match="errcode 310000"):
        robots.send(robots.Channel("钉钉群", "dingtalk", f"{robot}/dingtalk?access_token=T", "SECwrong"), MESSAGE)


def test_a_robot_error_and_a_closed_port_are_errors(robot: str) -> None:
    with pytest.raises(robots.SendError, match="errcode 45009"):
        robots.send(robots.Channel("g", "wecom", f"{robot}/broken"), MESSAGE)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    with pytest.raises(robots.SendError, match="ConnectionError"):
        robots.send(robots.Channel("g", "webhook", f"http://127.0.0.1:{closed}/sms"), MESSAGE)


def test_the_signature_matches_dingtalks_worked_example() -> None:
    # HMAC-SHA256 of "1700000000000\nSEC0123456789abcdef" keyed by the secret, Base64, URL-encoded
    digest = hmac.new(SECRET.encode(), b"1700000000000\n" + SECRET.encode(), hashlib.sha256).digest()
    assert robots.dingtalk_sign(SECRET, 1700000000000) == urllib.parse.quote_plus(base64.b64encode(digest))
    assert robots.url_for(robots.Channel("g", "dingtalk", "http://d/robot/send?access_token=T", SECRET),
                          1700000000000).startswith("http://d/robot/send?access_token=T&timestamp=1700000000000&sign=")
