"""What a method handler gets besides its fields: the configuration, Cognito, and the cookies."""

from __future__ import annotations

import dataclasses

from server.cognito import CognitoClient
from server.config import Config
from server.cookies import SessionCookies


@dataclasses.dataclass
class Call:
    config: Config
    cognito: CognitoClient
    cookies: SessionCookies
    request_id: str
