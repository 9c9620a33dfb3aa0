"""What must stay readable only to DictaMesh: a request's clear identifiers and record keys, exports.
Fernet (AES-128-CBC with HMAC-SHA256, from ``cryptography``) under a key derived from DICTAMESH_DSR_KEY (or
SECRET_KEY when it is empty)."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

from dictamesh.errors import DictaMeshError


class Unreadable(DictaMeshError):
    code = "unreadable"
    status = 409


def _fernet() -> Fernet:
    secret = settings.DICTAMESH_DSR_KEY or ("dictamesh-dsr:" + settings.SECRET_KEY)
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()))


def seal(data: bytes) -> bytes:
    return _fernet().encrypt(data)


def unseal(token: bytes) -> bytes:
    try:
        return _fernet().decrypt(bytes(token))
    except InvalidToken as exc:
        raise Unreadable("The sealed data cannot be read with the current DICTAMESH_DSR_KEY.") from exc


def seal_json(value: Any) -> bytes:
    return seal(json.dumps(value, default=str).encode())


def unseal_json(token: bytes | None) -> Any:
    return None if token is None else json.loads(unseal(token))
