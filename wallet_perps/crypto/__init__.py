"""Ethereum cryptography shared by the protocol layer, the wallet and the local venue.

Why a layer of its own, below ``hyperliquid`` and ``wallet``: keys, addresses and EIP-712 are
not Hyperliquid's; the wallet derives and checks keys with them and the venue recovers signers
with them, so none of those should reach into the protocol package for a hash function.

``keccak`` (Keccak-256), ``addresses`` (hex parsing, EIP-55), ``secp256k1`` (keys, signing from
a zeroable buffer, recovery), ``eip712`` (domain separators, struct encoding), ``errors``.
This package imports nothing of ours but ``core``, and this file imports nothing at all, so a
module that needs one table or error does not pay for libsecp256k1 or pycryptodome.
"""
