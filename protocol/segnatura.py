"""The segnatura informatica (AgID segnatura_protocollo.xsd 3.0.0) of an entry, sealed with an XML signature."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import UTC
from pathlib import Path

from lxml import etree

from protocol.config import RegisterConfig
from protocol.models import ProtocolEntry
from protocol.service import ROME, format_number

NS = "http://www.agid.gov.it/protocollo/"
DS = "http://www.w3.org/2000/09/xmldsig#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
HMAC_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
_PIVA = re.compile(r"^(?:IT)?([0-9]{11})$")


def _el(parent: etree._Element, name: str, text: str | None = None, ns: str = NS, **attrs: str) -> etree._Element:
    # The schema has attributeFormDefault="qualified": its attributes carry the namespace too.
    element = etree.SubElement(parent, f"{{{ns}}}{name}", {f"{{{NS}}}{k}": v for k, v in attrs.items()})
    if text is not None:
        element.text = text
    return element


def _ours(parent: etree._Element, tag: str, register: RegisterConfig | None, entry: ProtocolEntry) -> None:
    subject = _el(parent, tag)
    name = (register.administration_name if register else "") or entry.administration
    if entry.kind == "iva":
        # A private company keeping a VAT register is a legal person, not a public administration.
        _el(_el(subject, "PersonaGiuridica"), "Denominazione", name)
        return
    administration = _el(subject, "Amministrazione")
    _el(administration, "DenominazioneAmministrazione", name)
    _el(administration, "CodiceIPAAmministrazione", entry.administration)
    _el(administration, "CodiceIPAAOO", entry.aoo)


def _theirs(parent: etree._Element, tag: str, name: str, vat: str | None) -> None:
    company = _el(_el(parent, tag), "PersonaGiuridica")
    _el(company, "Denominazione", name)
    match = _PIVA.match((vat or "").replace(" ", ""))
    if match:
        _el(company, "PIVAoCF", match.group(1))


def _description(root: etree._Element, entry: ProtocolEntry, register: RegisterConfig | None) -> None:
    description = _el(root, "Descrizione")
    if entry.direction == "incoming":
        _theirs(description, "Mittente", entry.correspondent, entry.correspondent_vat)
        _ours(description, "Destinatario", register, entry)
    elif entry.direction == "outgoing":
        _ours(description, "Mittente", register, entry)
        for name in entry.recipients or [entry.correspondent]:
            _theirs(description, "Destinatario", name, entry.correspondent_vat)
    else:
        _ours(description, "Mittente", register, entry)
        _ours(description, "Destinatario", register, entry)
    document = _el(description, "DocumentoPrimario", nomeFile=entry.file_name or f"{entry.number:07d}",
                   mimeType=entry.media_type or "application/octet-stream")
    _el(document, "Impronta", entry.fingerprint, algoritmo=entry.algorithm)


def build_segnatura(entry: ProtocolEntry, register: RegisterConfig | None, key: bytes) -> bytes:
    """The segnatura XML of an entry, sealed (XML-DSig, HMAC-SHA256 with the deployment's key)."""
    root = etree.Element(f"{{{NS}}}SegnaturaInformatica", {f"{{{NS}}}versione": "3.0.0", f"{{{NS}}}lang": "it"},
                         nsmap={"prot": NS, "ds": DS})
    header = _el(root, "Intestazione")
    identifier = _el(header, "Identificatore")
    registered = entry.registered_at if entry.registered_at.tzinfo else entry.registered_at.replace(tzinfo=UTC)
    local = registered.astimezone(ROME)
    _el(identifier, "CodiceAmministrazione", entry.administration)
    _el(identifier, "CodiceAOO", entry.aoo)
    _el(identifier, "CodiceRegistro", entry.register)
    _el(identifier, "NumeroRegistrazione", format_number(entry.number))
    _el(identifier, "DataRegistrazione", local.date().isoformat())
    # The time with its UTC offset; a bare time cannot carry a zone name, so it is cut from the datetime.
    _el(identifier, "OraRegistrazione", local.isoformat(timespec="seconds")[11:])
    _el(header, "Oggetto", entry.subject)
    classification = _el(header, "Classifica")
    _el(classification, "Denominazione", entry.classification or "Non classificato")
    _el(classification, "CodiceFlat", entry.classification or "0")
    _description(root, entry, register)
    _seal(root, key)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _c14n(element: etree._Element) -> bytes:
    return etree.tostring(element, method="c14n", exclusive=True)


def _seal(root: etree._Element, key: bytes) -> None:
    # Enveloped signature over the whole document; computed before the Signature element exists, which is
    # exactly what the enveloped-signature transform removes again on verification.
    digest = base64.b64encode(hashlib.sha256(_c14n(root)).digest()).decode()
    signature = _el(root, "Signature", ns=DS)
    signed_info = _el(signature, "SignedInfo", ns=DS)
    etree.SubElement(signed_info, f"{{{DS}}}CanonicalizationMethod", Algorithm=EXC_C14N)
    etree.SubElement(signed_info, f"{{{DS}}}SignatureMethod", Algorithm=HMAC_SHA256)
    reference = etree.SubElement(signed_info, f"{{{DS}}}Reference", URI="")
    transforms = _el(reference, "Transforms", ns=DS)
    etree.SubElement(transforms, f"{{{DS}}}Transform", Algorithm=ENVELOPED)
    etree.SubElement(transforms, f"{{{DS}}}Transform", Algorithm=EXC_C14N)
    etree.SubElement(reference, f"{{{DS}}}DigestMethod", Algorithm=SHA256)
    _el(reference, "DigestValue", digest, ns=DS)
    value = hmac.new(key, _c14n(signed_info), hashlib.sha256).digest()
    _el(signature, "SignatureValue", base64.b64encode(value).decode(), ns=DS)
    _el(_el(signature, "KeyInfo", ns=DS), "KeyName", "quinte-protocol-seal", ns=DS)


def verify_seal(xml: bytes, key: bytes) -> bool:
    """True when the segnatura is unchanged since it was sealed with ``key``."""
    root = etree.fromstring(xml)
    signature = root.find(f"{{{DS}}}Signature")
    if signature is None:
        return False
    signed_info = signature.find(f"{{{DS}}}SignedInfo")
    value = signature.findtext(f"{{{DS}}}SignatureValue") or ""
    expected = hmac.new(key, _c14n(signed_info), hashlib.sha256).digest()
    if not hmac.compare_digest(base64.b64encode(expected).decode(), value):
        return False
    digest = signed_info.findtext(f".//{{{DS}}}DigestValue")
    root.remove(signature)
    return digest == base64.b64encode(hashlib.sha256(_c14n(root)).digest()).decode()


def seal_key(secret: str) -> bytes:
    """The seal key, derived from the deployment's secret so it differs from the cookie-signing key."""
    return hmac.new(secret.encode(), b"quinte-protocol-segnatura", hashlib.sha256).digest()


class _SiblingResolver(etree.Resolver):
    """The AgID schema imports import_schemas/xmldsig-core-schema.xsd; the copy sits next to it instead."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder

    def resolve(self, url, pubid, context):  # type: ignore[no-untyped-def]
        name = url.rsplit("/", 1)[-1]
        candidate = self.folder / name
        if name.endswith(".xsd") and candidate.is_file():
            return self.resolve_filename(str(candidate), context)
        return None


def load_schema(xsd_path: Path) -> etree.XMLSchema:
    """The AgID segnatura schema, read without network access."""
    parser = etree.XMLParser(no_network=True, load_dtd=False, resolve_entities=False)
    parser.resolvers.add(_SiblingResolver(xsd_path.parent))
    return etree.XMLSchema(etree.parse(str(xsd_path), parser))


def validation_errors(xml: bytes, schema: etree.XMLSchema) -> list[str]:
    """Schema errors of a segnatura; empty when it is valid."""
    document = etree.fromstring(xml)
    if schema.validate(document):
        return []
    return [f"line {error.line}: {error.message}" for error in schema.error_log]
