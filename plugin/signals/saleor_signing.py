"""Sign webhook bodies exactly as Saleor does (detached JWS, RS256, unencoded payload).

Masa never signs what it receives; this exists so that the demo, the tests and the benchmarks
can play a Saleor store whose public keys Masa is configured to trust.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


@dataclass
class SaleorSigner:
    private_key: rsa.RSAPrivateKey
    kid: str

    @classmethod
    def generate(cls, kid: str = "masa-demo-key") -> "SaleorSigner":
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=2048), kid)

    @property
    def jwks(self) -> dict:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        jwk.update({"kid": self.kid, "alg": "RS256", "use": "sig", "key_ops": ["verify"]})
        return {"keys": [jwk]}

    def sign(self, body: bytes) -> str:
        return jwt.api_jws.encode(
            body, self.private_key, algorithm="RS256",
            headers={"kid": self.kid, "b64": False, "crit": ["b64"]}, is_payload_detached=True,
        )

    def headers(self, event: str, body: bytes, domain: str, api_url: str) -> dict:
        return {
            "Content-Type": "application/json",
            "Saleor-Event": event,
            "Saleor-Domain": domain,
            "Saleor-Api-Url": api_url,
            "Saleor-Signature": self.sign(body),
        }
