"""PostgreSQL going away under intake: the webhook answers 503 (Saleor retries), nothing is half
stored, and the next delivery after it comes back is accepted. The outage is real: the site's
connection runs through a loopback TCP proxy that the test cuts and restores."""
import socket
import threading

import pytest
from django.db import connection
from django.test import Client

from masa.models import InboundDelivery, StoreEvent

from ..helpers import STORE_API_URL, STORE_DOMAIN, post_webhook
from ..helpers import order_payload


class CuttableProxy:
    def __init__(self, target=("127.0.0.1", 5432)):
        self.target, self.sockets, self.listener = target, [], None
        self.port = self._listen(0)

    def _listen(self, port):
        self.listener = socket.create_server(("127.0.0.1", port), reuse_port=False)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()
        return self.listener.getsockname()[1]

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self):
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept(), which frees the port
        except OSError:
            pass
        self.listener.close()
        for sock in self.sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            except OSError:
                pass
        self.sockets = []

    def restore(self):
        self._listen(self.port)


@pytest.fixture
def through_proxy():
    proxy = CuttableProxy()
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(proxy.port))
    yield proxy
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(saved)
    proxy.cut()


def signed(signer):
    import json

    body = json.dumps(order_payload()).encode()
    return body, signer.headers("order_created", body, STORE_DOMAIN, STORE_API_URL)


@pytest.mark.django_db(transaction=True)
def test_intake_answers_503_while_postgres_is_gone_and_recovers(signing_store, through_proxy):
    client = Client()
    assert post_webhook(client, *signed(signing_store)).status_code == 200

    through_proxy.cut()
    body, headers = signed(signing_store)
    response = post_webhook(client, body, headers)
    assert response.status_code == 503 and response.json()["error"] == "database_unavailable"
    assert response["Retry-After"] == "30"

    connection.close()
    through_proxy.restore()
    assert post_webhook(client, body, headers).json()["status"] == "accepted"
    assert InboundDelivery.objects.filter(status="accepted").count() == 2
    assert StoreEvent.objects.filter(name="order_placed").count() == 2
