"""One identity per EPC and class: URN and GS1 Digital Link spellings, one key."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oreline.ledger.epcis.identity import canonical_key, same_identity

#: URN and Digital Link of one key (TDS 2.0 section 7: indicator or extension digit first,
#: then the company prefix and the reference, then the check digit; the sgtin, sscc and
#: sgln rows are the standard's own examples, the check digits of all fixed-length keys
#: are recomputed below by an independent function).
PAIRS = [
    ("urn:epc:id:sgtin:0614141.107346.2017", "https://id.gs1.org/01/10614141073464/21/2017"),
    ("urn:epc:class:lgtin:4012345.012345.998877",
     "https://id.gs1.org/01/04012345123456/10/998877"),
    ("urn:epc:id:sscc:0614141.1234567890", "https://id.gs1.org/00/106141412345678908"),
    ("urn:epc:id:sgln:0614141.12345.400", "https://id.gs1.org/414/0614141123452/254/400"),
    ("urn:epc:id:sgln:0614141.12345.0", "https://id.gs1.org/414/0614141123452"),
    ("urn:epc:id:pgln:0614141.12345", "https://id.gs1.org/417/0614141123452"),
    ("urn:epc:id:grai:0614141.12345.400", "https://id.gs1.org/8003/00614141123452400"),
    ("urn:epc:id:giai:0614141.12345400", "https://id.gs1.org/8004/061414112345400"),
    ("urn:epc:id:gsrn:0614141.1234567890", "https://id.gs1.org/8018/061414112345678902"),
    ("urn:epc:id:gdti:0614141.12345.400", "https://id.gs1.org/253/0614141123452400"),
    ("urn:epc:idpat:sgtin:4012345.012345.*", "https://id.gs1.org/01/04012345123456"),
]
#: Other spellings of the same keys: another domain, short names, GTIN-13, query strings,
#: a lot next to a serial, the extension 0 of a GLN.
ALIASES = [
    ("https://brand.example/gtin/04012345123456/lot/998877",
     "https://id.gs1.org/01/04012345123456/10/998877"),
    ("http://brand.example/01/4012345123456/10/998877?linkType=all#x",
     "https://id.gs1.org/01/04012345123456/10/998877"),
    ("https://brand.example/01/04012345123456/lot/998877/",
     "https://id.gs1.org/01/04012345123456/10/998877"),
    ("https://id.gs1.org/01/10614141073464/10/ABC/21/2017",
     "https://id.gs1.org/01/10614141073464/21/2017"),
    ("https://id.gs1.org/gtin/10614141073464/cpv/2A/ser/2017",
     "https://id.gs1.org/01/10614141073464/21/2017"),
    ("https://id.gs1.org/gln/0614141123452/exten/0", "https://id.gs1.org/414/0614141123452"),
    ("https://example.org/sscc/106141412345678908", "https://id.gs1.org/00/106141412345678908"),
]
UNCHANGED = ["urn:oreline:lot:ox-1", "https://oreline.dev/voc/BizStep-alloying",
             "urn:epc:id:sgtin:0614141.107346",  # no serial: not an SGTIN
             "urn:epc:id:sgtin:061414.107346.1",  # prefix + item of 12 digits, not 13
             "https://example.org/01/not-a-gtin/10/1", "https://example.org/99/1/10/1",
             "urn:epc:id:usdod:2S194.12345678901"]


def _check(digits: str) -> str:
    """GS1 check digit, written out from GenSpecs 7.9.1 (weights 3,1,3... from the right)."""
    weights = [3 if i % 2 == 0 else 1 for i in range(len(digits))]
    total = sum(int(d) * w for d, w in zip(reversed(digits), weights, strict=True))
    return str(-total % 10)


@pytest.mark.parametrize(("urn", "link"), PAIRS)
def test_urn_and_digital_link_give_one_key(urn: str, link: str) -> None:
    assert canonical_key(urn) == link == canonical_key(link)


@pytest.mark.parametrize(("alias", "key"), ALIASES)
def test_aliases_domains_and_qualifiers_give_the_canonical_key(alias: str, key: str) -> None:
    assert canonical_key(alias) == key


@pytest.mark.parametrize("value", UNCHANGED)
def test_values_that_are_no_gs1_key_are_their_own_key(value: str) -> None:
    assert canonical_key(value) == value


def test_check_digits_of_the_pairs_agree_with_an_independent_calculation() -> None:
    fixed = [link.split("/") for _urn, link in PAIRS]
    fixed = [parts for parts in fixed if parts[3] in ("01", "00", "414", "417", "8018")]
    assert len(fixed) == 8
    for parts in fixed:
        assert parts[4][-1] == _check(parts[4][:-1])


def test_serials_are_compared_decoded() -> None:
    assert same_identity("urn:epc:id:sgtin:4012345.012345.A%2FB",
                         "https://id.gs1.org/01/04012345123456/21/A%2FB")
    assert same_identity("urn:epc:id:sgtin:4012345.012345.a!b",
                         "https://x.example/01/04012345123456/21/a%21b")
    assert not same_identity("urn:epc:class:lgtin:4012345.012345.1",
                             "urn:epc:id:sgtin:4012345.012345.1")  # a lot is not an item


@given(prefix_len=st.integers(6, 12), digits=st.text("0123456789", min_size=13, max_size=13),
       lot=st.text("ABCXYZabc0123456789-._", min_size=1, max_size=12),
       domain=st.sampled_from(["https://id.gs1.org", "https://brand.example",
                               "http://a.b.example"]),
       short=st.booleans(), pad=st.booleans())
def test_any_company_prefix_length_gives_the_key_of_the_digital_link(
        prefix_len: int, digits: str, lot: str, domain: str, short: bool, pad: bool) -> None:
    # the URN splits the 13 digits (indicator + prefix + item) at the prefix length; the
    # Digital Link carries the GTIN-14 (indicator first) with no split
    indicator, rest = digits[0], digits[1:]
    prefix, item = rest[:prefix_len], rest[prefix_len:]
    urn = f"urn:epc:class:lgtin:{prefix}.{indicator}{item}.{lot}"
    gtin = indicator + prefix + item
    gtin += _check(gtin)
    # a Digital Link may write the GTIN as GTIN-8, -12 or -13 (leading zeros left out);
    # no other length is a GTIN (GS1 Digital Link 1.2, 4.5)
    zeros = len(gtin) - len(gtin.lstrip("0"))
    cut = max((n for n in (1, 2, 6) if n <= zeros), default=0)
    shown = gtin[cut:] if pad else gtin
    path = f"/gtin/{shown}/lot/{lot}" if short else f"/01/{shown}/10/{lot}"
    assert canonical_key(urn) == canonical_key(domain + path) == \
        f"https://id.gs1.org/01/{gtin}/10/{lot}"
