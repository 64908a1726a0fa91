"""The demo store's signing key, made on first use and kept beside the demo database."""
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from django.conf import settings

from masa.signals.saleor_signing import SaleorSigner

KEY_PATH = Path(settings.BASE_DIR) / ".demo" / "saleor-signing-key.pem"


def demo_signer() -> SaleorSigner:
    if KEY_PATH.exists():
        key = serialization.load_pem_private_key(KEY_PATH.read_bytes(), password=None)
        return SaleorSigner(key, kid="masa-demo-store")
    signer = SaleorSigner.generate(kid="masa-demo-store")
    KEY_PATH.parent.mkdir(parents=True, exist_ok=True)
    KEY_PATH.write_bytes(signer.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return signer
