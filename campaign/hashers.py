"""The hash of one-time initial passwords."""

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class InitialPasswordHasher(PBKDF2PasswordHasher):
    """PBKDF2 with fewer rounds, for random initial passwords only.

    An initial password has about 60 bits of randomness (campaign.accounts),
    so guessing it from its hash costs 2**59 tries at any number of rounds;
    the default million rounds exist for passwords people choose. With this,
    hashing a district's hundred initial passwords takes a fraction of a
    second instead of half a minute. The first login re-hashes with the
    default hasher, and the first change replaces the password anyway.
    """

    algorithm = "pbkdf2_initial"
    iterations = 10_000
