"""boto3 clients bound to the lab's endpoint: the lab's credentials and region, no retries."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from ..credentials import Credentials
from .sdk import boto3_session

if TYPE_CHECKING:
    from ..ports import Place
    from .auth import Keyring


class LabClients:
    """One cached client per service (``client(service)``); extra options make a fresh one.

    ``client(service, account="111122223333")`` is a caller from another AWS account: it
    signs with credentials of that account's own, which the endpoint's keyring learns, so
    resource-based policies decide what it may do.
    """

    def __init__(self, endpoint_url: str, place: Place, credentials: Credentials, keyring: Keyring) -> None:
        self.endpoint_url, self.place, self.credentials, self.keyring = endpoint_url, place, credentials, keyring
        self._clients: dict[str, Any] = {}
        self._other_accounts: dict[str, Credentials] = {}
        self._lock = threading.Lock()

    def client(self, service: str, *, account: str | None = None, **kwargs: Any) -> Any:
        if account is not None and account != self.place.account_id:
            return self._make(service, **self._account_credentials(account).client_options(), **kwargs)
        if kwargs:
            return self._make(service, **kwargs)
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self._make(service)
            return self._clients[service]

    def _account_credentials(self, account: str) -> Credentials:
        """Credentials that sign as a caller from ``account`` (made once per account)."""
        if not (len(account) == 12 and account.isdigit()):
            raise ValueError(f"an AWS account id has 12 digits, not {account!r}")
        with self._lock:
            creds = self._other_accounts.get(account)
            if creds is None:
                creds = self._other_accounts[account] = Credentials.random(account=account)
                self.keyring.add(creds)
        return creds

    def _make(self, service: str, **kwargs: Any) -> Any:
        from botocore.config import Config

        # no automatic retries: a throttle must reach the learner, not be slept through
        config = Config(retries={"total_max_attempts": 1}, read_timeout=960, connect_timeout=5)
        options: dict[str, Any] = {
            "endpoint_url": self.endpoint_url,
            "config": config,
            "region_name": self.place.region,
        }
        options.update(self.credentials.client_options())
        options.update(kwargs)
        return boto3_session().client(service, **options)

    def close(self) -> None:
        with self._lock:
            clients = list(self._clients.values())
            self._clients.clear()
        for client in clients:
            client.close()
