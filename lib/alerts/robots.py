"""Messages to the group robots county staff actually watch: WeCom (企业微信) and DingTalk (钉钉), and a plain
JSON webhook (an SMS gateway, say). Formats from the official robot documents:

- WeCom group robot (developer.work.weixin.qq.com/document/path/91770): POST JSON
  ``{"msgtype": "markdown", "markdown": {"content": ...}}``, content at most 4,096 bytes of UTF-8, a
  markdown subset with ``<font color="warning">``; success is ``{"errcode": 0}``; 20 messages a minute.
- DingTalk custom robot (open.dingtalk.com/document/group/custom-robot-access): POST JSON
  ``{"msgtype": "markdown", "markdown": {"title": ..., "text": ...}}``; with 加签 the URL carries
  ``timestamp`` (ms) and ``sign`` = URL-encoded Base64 of HMAC-SHA256(secret, f"{timestamp}\\n{secret}");
  success is ``{"errcode": 0}``; 20 messages a minute.

A channel's URL and secret are secrets: they come from the rules file's environment references, never
from the repository.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import urllib.parse
from dataclasses import dataclass

import requests

KINDS = ("wecom", "dingtalk", "webhook")
WECOM_MAX_BYTES = 4096
TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Channel:
    """Where messages go: a WeCom or DingTalk group robot, or a plain webhook."""

    name: str
    kind: str  # wecom | dingtalk | webhook
    url: str
    secret: str = ""  # DingTalk 加签 secret (SEC...), if the robot uses it
    counties: tuple[str, ...] = ()  # the county codes whose alerts it gets (a county's own group); (): all

    def takes(self, county: str | None) -> bool:
        """Whether a message about ``county`` (None: about the whole store, e.g. it cannot be reached) goes here."""
        return county is None or not self.counties or county in self.counties


@dataclass(frozen=True)
class Message:
    """One alert as people read it: a title and lines of plain text, and a link to the page."""

    title: str
    lines: tuple[str, ...]
    link: str = ""


class SendError(Exception):
    """The endpoint did not take the message: unreachable, an HTTP error, or a robot's errcode."""


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's 加签: URL-encoded Base64 of HMAC-SHA256 over "timestamp\\nsecret", keyed by the secret."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def _markdown(message: Message) -> str:
    body = "\n".join(f"> {line}" for line in message.lines)
    link = f"\n[{message.link}]({message.link})" if message.link else ""
    return f"**{message.title}**\n{body}{link}"


def _fit(text: str, limit: int) -> str:
    """Cut to ``limit`` bytes of UTF-8 without splitting a character."""
    data = text.encode()
    return text if len(data) <= limit else data[: limit - 3].decode(errors="ignore") + "…"


def payload(channel: Channel, message: Message) -> dict:
    """The JSON body ``channel`` expects for ``message``."""
    if channel.kind == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": _fit(_markdown(message), WECOM_MAX_BYTES)}}
    if channel.kind == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": message.title, "text": _markdown(message)}}
    return {"title": message.title, "lines": list(message.lines), "link": message.link}


def url_for(channel: Channel, now_ms: int | None = None) -> str:
    """The URL to post to; a signed DingTalk robot gets its timestamp and signature appended."""
    if channel.kind != "dingtalk" or not channel.secret:
        return channel.url
    ts = now_ms if now_ms is not None else round(time.time() * 1000)
    joiner = "&" if "?" in channel.url else "?"
    return f"{channel.url}{joiner}timestamp={ts}&sign={dingtalk_sign(channel.secret, ts)}"


def send(channel: Channel, message: Message) -> None:
    """Post ``message``; raises SendError unless the endpoint took it (HTTP 2xx and, for robots, errcode 0)."""
    try:
        response = requests.post(url_for(channel), json=payload(channel, message), timeout=TIMEOUT_SECONDS)
    except requests.RequestException as err:
        raise SendError(f"{channel.name}: {err.__class__.__name__}") from err
    if response.status_code // 100 != 2:
        raise SendError(f"{channel.name}: HTTP {response.status_code}")
    if channel.kind in ("wecom", "dingtalk"):
        try:
            code = response.json().get("errcode")
        except ValueError:
            code = "not JSON"
        if code != 0:
            raise SendError(f"{channel.name}: errcode {code}")
