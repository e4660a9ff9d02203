"""Check characters of Chinese identifiers, so seeded codes pass the validators real systems use.

- 统一社会信用代码 (GB 32100-2015): 18 characters, the last a mod-31 check character; characters
  9–17 are an organisation code (GB 11714-1997) whose own last character is a mod-11 check.
- 公民身份号码 (GB 11643-1999): 17 digits and an ISO 7064 MOD 11-2 check character.
- 车辆识别代号 (GB 16735-2019, as ISO 3779 in North America): 17 characters without I, O, Q;
  the 9th is a mod-11 check character over the other 16.
"""

from __future__ import annotations

from operator import mul

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_ZERO = ord("0") * sum(_ID_WEIGHTS)


def org_code(body: str) -> str:
    """Append the GB 11714 check character to an 8-character organisation code body."""
    if len(body) != 8:
        raise ValueError("an organisation code body has 8 characters")
    total = sum(int(ch, 36) * w for ch, w in zip(body, _ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def uscc(prefix17: str) -> str:
    """Append the GB 32100 check character to the first 17 characters of a credit code."""
    if len(prefix17) != 17:
        raise ValueError("a credit code without its check character has 17 characters")
    total = sum(_USCC_ALPHABET.index(ch) * w for ch, w in zip(prefix17, _USCC_WEIGHTS, strict=True))
    return prefix17 + _USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_is_valid(code: str) -> bool:
    return len(code) == 18 and all(ch in _USCC_ALPHABET for ch in code) and uscc(code[:17]) == code


def id_card(prefix17: str) -> str:
    """Append the check character to the first 17 digits of a 公民身份号码."""
    if len(prefix17) != 17 or not (prefix17.isascii() and prefix17.isdigit()):
        raise ValueError("a citizen id without its check character has 17 digits")
    # the weighted sum over the ASCII codes, less that of seventeen "0"s (fast: a million ids)
    total = sum(map(mul, prefix17.encode(), _ID_WEIGHTS)) - _ID_ZERO
    return prefix17 + _ID_CHECK[total % 11]


def id_card_is_valid(code: str) -> bool:
    return len(code) == 18 and code[:17].isdigit() and id_card(code[:17]) == code


_VIN_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def vin(first8: str, last8: str) -> str:
    """A 车辆识别代号 from its first eight and last eight characters, with the check in between."""
    body = first8 + "0" + last8
    if len(body) != 17 or any(ch not in _VIN_VALUES for ch in body):
        raise ValueError("a VIN has 17 characters from 0-9 and A-Z without I, O and Q")
    total = sum(_VIN_VALUES[ch] * w for ch, w in zip(body, _VIN_WEIGHTS, strict=True))
    check = total % 11
    return first8 + ("X" if check == 10 else str(check)) + last8


def vin_is_valid(code: str) -> bool:
    return (
        len(code) == 17
        and all(ch in _VIN_VALUES for ch in code)
        and (vin(code[:8], code[9:]) == code)
    )
