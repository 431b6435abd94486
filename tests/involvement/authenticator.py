"""What a member of staff's authenticator app would show, for the two-factor tests."""

from django_otp.oath import totp


def code(device, steps=0):
    """The code the person's app shows now (or `steps` time steps away)."""
    device.refresh_from_db()
    value = totp(device.bin_key, device.step, device.t0, device.digits, device.drift + steps)
    return f"{value:0{device.digits}d}"


def wrong_code(device):
    accepted = {code(device, steps) for steps in (-1, 0, 1)}
    return next(f"{n:06d}" for n in range(1, 10) if f"{n:06d}" not in accepted)
