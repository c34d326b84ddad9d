"""The password hasher for the random one-time initial passwords the portal issues (portal.credentials)."""

from django.contrib.auth.hashers import PBKDF2PasswordHasher, get_hasher


class InitialPasswordHasher(PBKDF2PasswordHasher):
    """PBKDF2-SHA256 with far fewer iterations, for generated initial passwords only.

    Django's 1,000,000 iterations (about 0.5 s per hash here) exist to slow down guessing of passwords people
    choose, which are guessable. An initial password is 10 characters drawn by `secrets` from 56 symbols, about
    58 bits: even at 2,000 iterations an attacker holding the hash needs about 2^68 HMAC-SHA-256 rounds on
    average per account, while the password only lives until its first use. The cheaper hash is what lets a
    liaison issue passwords for a unit of 500 people in about two seconds instead of four minutes. A distinct
    algorithm name keeps these hashes recognisable; at first login Django re-hashes with the default hasher.
    """

    algorithm = "pbkdf2_sha256_initial"
    iterations = 2_000


def initial_password_hasher():
    """The hasher for issued initial passwords, or the default one where it is not configured.

    It must be listed in PASSWORD_HASHERS for the hashes to verify; the test suite keeps a single fast hasher,
    and any configured hasher is correct, only slower.
    """
    try:
        return get_hasher(InitialPasswordHasher.algorithm)
    except ValueError:
        return get_hasher("default")
