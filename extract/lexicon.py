"""Label lexicons and keyword evidence (Italian first, then English, German, French, Spanish) as data."""

from __future__ import annotations

# Month names and abbreviations, folded (lower case, no accents), mapped to the month number.
MONTHS: dict[str, int] = {}
_MONTH_NAMES = {
    1: ["gennaio", "gen", "january", "jan", "januar", "janvier", "janv", "enero", "ene"],
    2: ["febbraio", "feb", "february", "februar", "fevrier", "fevr", "fev", "febrero"],
    3: ["marzo", "mar", "march", "marz", "maerz", "mars"],
    4: ["aprile", "apr", "april", "avril", "avr", "abril", "abr"],
    5: ["maggio", "mag", "may", "mai", "mayo"],
    6: ["giugno", "giu", "june", "jun", "juni", "juin", "junio"],
    7: ["luglio", "lug", "july", "jul", "juli", "juillet", "juil", "julio"],
    8: ["agosto", "ago", "august", "aug", "aout"],
    9: ["settembre", "set", "sett", "september", "sep", "sept", "septembre", "septiembre"],
    10: ["ottobre", "ott", "october", "oct", "oktober", "okt", "octobre", "octubre"],
    11: ["novembre", "nov", "november", "noviembre"],
    12: ["dicembre", "dic", "december", "dec", "dezember", "dez", "decembre", "diciembre"],
}
for _number, _names in _MONTH_NAMES.items():
    for _name in _names:
        MONTHS[_name] = _number

# Currency symbols and words (folded upper case) -> ISO 4217.
CURRENCIES: dict[str, str] = {
    "€": "EUR", "EUR": "EUR", "EURO": "EUR", "EUROS": "EUR", "EURI": "EUR",
    "$": "USD", "US$": "USD", "USD": "USD",
    "£": "GBP", "GBP": "GBP",
    "CHF": "CHF", "SFR": "CHF",
    "¥": "JPY", "JPY": "JPY",
    "RM": "MYR", "MYR": "MYR",
    "SGD": "SGD", "S$": "SGD",
    "PLN": "PLN", "ZL": "PLN", "CZK": "CZK", "KC": "CZK", "SEK": "SEK", "DKK": "DKK", "NOK": "NOK",
    "HUF": "HUF", "RON": "RON", "CAD": "CAD", "AUD": "AUD", "CNY": "CNY", "INR": "INR",
}

# Legal-form suffixes that mark a line as a company name.
COMPANY_SUFFIXES: list[str] = [
    "srl", "s r l", "srls", "spa", "s p a", "sas", "s a s", "snc", "s n c", "sapa", "soc coop", "scarl",
    "gmbh", "ag", "kg", "ohg", "ug", "e k", "gbr",
    "ltd", "limited", "llc", "inc", "corp", "plc", "llp", "co",
    "sarl", "sa", "sas", "eurl", "sl", "s l", "slu",
    "sdn bhd", "bhd", "sdn", "s b", "sb",
    "enterprise", "enterprises", "trading", "restaurant", "hardware", "store", "shop",
    "mart", "supermarket", "bakery", "cafe", "company", "industries", "holdings", "group",
]

# Legal forms only (no trade words): a header line carrying one is the registered name of the shop.
LEGAL_FORMS: list[str] = [
    "srl", "s r l", "srls", "s r l s", "spa", "s p a", "sas", "s a s", "snc", "s n c", "sapa", "soc coop",
    "scarl", "gmbh", "ag", "kg", "ohg", "ug", "ltd", "limited", "llc", "inc", "corp", "plc", "llp", "pte ltd",
    "sarl", "sa", "s a", "eurl", "sl", "s l", "slu", "bv", "nv",
    "sdn bhd", "bhd", "berhad", "s b", "plt",
]

# Shop-trade words that mark a receipt's header line as the shop's (trade) name.
RECEIPT_TRADE_WORDS: list[str] = [
    "restoran", "ristorante", "trattoria", "pizzeria", "bar", "kedai", "pharmacy", "farmacia", "farmasi",
    "pharmacie", "apotheke", "stationery", "bookstore", "bookshop", "books", "bakeries", "confectionery",
    "kopitiam", "minimarket", "hypermarket", "market", "electrical", "machinery", "marketing", "petrol",
    "centre", "center", "boulangerie", "backerei", "cafeteria", "panaderia", "tabaccheria",
]

# Region, state and country names that may close an address on a line of their own (folded words).
REGION_WORDS: frozenset[str] = frozenset({
    "malaysia", "singapore", "johor", "kedah", "kelantan", "melaka", "malacca", "negeri", "sembilan", "pahang",
    "perak", "perlis", "pulau", "pinang", "penang", "sabah", "sarawak", "selangor", "terengganu", "kuala",
    "lumpur", "kl", "labuan", "putrajaya", "wilayah", "persekutuan", "wp", "darul", "ehsan", "takzim", "aman",
    "makmur", "naim", "ridzuan", "khusus", "d", "e", "de", "italia", "italy", "germany", "deutschland",
    "france", "espana", "spain", "united", "kingdom", "uk", "schweiz", "suisse", "svizzera",
})

# Field labels for invoices and credit notes; the longest matching label wins at a given position.
INVOICE_LABELS: dict[str, list[str]] = {
    "invoice_number": [
        "fattura n", "fattura nr", "fattura numero", "numero fattura", "n fattura", "nr fattura",
        "numero documento", "n documento", "documento n", "numero", "nota di credito n", "nota credito n",
        "invoice no", "invoice number", "invoice nr", "invoice #", "invoice", "credit note no",
        "credit note number", "credit note #", "number", "document no",
        "rechnungsnummer", "rechnung nr", "rechnungs nr", "gutschrift nr", "belegnummer",
        "facture n", "n facture", "numero de facture", "facture no", "avoir n",
        "factura n", "numero de factura", "factura no", "n factura", "rectificativa n", "abono n",
        "factura rectificativa n", "numero de abono",
    ],
    "issue_date": [
        "data", "data fattura", "data documento", "data emissione", "del",
        "date", "invoice date", "date of issue", "issue date",
        "datum", "rechnungsdatum", "belegdatum",
        "date de facture", "date facture", "date d emission",
        "fecha", "fecha de factura", "fecha factura", "fecha de emision",
    ],
    "due_date": [
        "scadenza", "data scadenza", "scadenza pagamento", "data di scadenza",
        "due date", "payment due", "due", "pay by", "payment due date",
        "fallig", "falligkeit", "falligkeitsdatum", "zahlbar bis", "fallig am",
        "echeance", "date d echeance", "date limite de paiement", "a payer avant le",
        "vencimiento", "fecha de vencimiento", "fecha vencimiento",
    ],
    "net_amount": [
        "imponibile", "totale imponibile", "netto", "totale netto", "imponibile iva", "totale merce", "totale merci",
        "totale beni", "totale beni e servizi", "goods total", "total base", "sous total ht",
        "subtotal", "sub total", "net amount", "total net", "net total", "amount excl vat", "total excl vat",
        "nettobetrag", "zwischensumme", "summe netto", "netto betrag", "gesamt netto", "nettosumme",
        "total ht", "montant ht", "total hors taxes", "sous total",
        "base imponible", "importe neto", "subtotal neto",
    ],
    "vat_amount": [
        "iva", "imposta", "totale iva", "importo iva", "imposta iva",
        "vat", "vat amount", "total vat", "tax", "sales tax",
        "mwst", "ust", "umsatzsteuer", "mehrwertsteuer", "mwst betrag", "zzgl mwst", "zzgl ust",
        "tva", "montant tva", "total tva",
        "cuota iva", "importe iva", "total iva",
    ],
    "currency": [
        "divisa", "valuta", "importi in", "currency", "amounts in", "wahrung", "devise", "monnaie", "moneda",
    ],
    "vat_rate": [
        "aliquota", "aliquota iva", "aliq iva", "% iva", "iva %",
        "vat rate", "vat %", "tax rate",
        "mwst satz", "ust satz", "steuersatz", "mwst %", "ust %",
        "taux tva", "taux de tva", "tva %",
        "tipo iva", "tipo impositivo", "% iva",
    ],
    "total_amount": [
        "totale", "totale fattura", "totale documento", "totale da pagare", "netto a pagare",
        "importo totale", "totale complessivo", "totale euro",
        "total", "total amount", "amount due", "total due", "grand total", "balance due", "invoice total",
        "total payable",
        "gesamtbetrag", "rechnungsbetrag", "endbetrag", "gesamtsumme", "summe", "zu zahlen",
        "bruttobetrag", "gesamt brutto", "summe brutto",
        "total ttc", "montant ttc", "net a payer", "montant total", "total a payer",
        "importe total", "total factura", "total a pagar",
    ],
    "payment_terms": [
        "modalita di pagamento", "condizioni di pagamento", "pagamento", "modalita pagamento",
        "termini di pagamento",
        "payment terms", "terms", "terms of payment", "payment method", "payment",
        "zahlungsbedingungen", "zahlungsziel", "zahlungsart",
        "conditions de paiement", "mode de paiement", "conditions de reglement", "reglement",
        "condiciones de pago", "forma de pago", "metodo de pago",
    ],
    "order_reference": [
        "rif ordine", "riferimento ordine", "vs ordine", "ordine n", "ordine", "vostro ordine",
        "rif vs ordine", "ordine d acquisto",
        "po number", "po", "purchase order", "order ref", "order reference", "order no", "your order",
        "bestellnummer", "bestell nr", "ihre bestellung", "bestellung", "auftragsnummer", "auftrag nr",
        "bon de commande", "n commande", "commande", "votre commande", "ref commande",
        "pedido", "numero de pedido", "n pedido", "orden de compra", "ref pedido", "su pedido",
    ],
    "iban": ["iban", "coordinate bancarie", "bank details", "bankverbindung", "coordonnees bancaires"],
    "supplier_vat": [
        "p iva", "partita iva", "p iva e c f", "piva", "p i", "pi",
        "vat", "vat no", "vat number", "vat reg no", "vat id",
        "ust idnr", "ust id", "ust id nr", "umsatzsteuer id", "steuernummer",
        "tva intracommunautaire", "tva intracom", "n tva", "numero de tva",
        "nif", "cif", "nif iva",
    ],
    "tax_code": ["codice fiscale", "c f", "cod fisc", "cod fiscale", "cf", "tax code", "fiscal code", "steuer nr",
                 "siret", "n fiscal", "codigo fiscal"],
}

# Words that open the customer's block (what follows belongs to the buyer, not the seller).
CUSTOMER_LABELS: list[str] = [
    "cliente", "spett le", "spettabile", "destinatario", "intestatario", "committente", "cessionario",
    "fatturare a", "intestato a",
    "customer", "bill to", "billed to", "invoice to", "sold to", "client", "buyer", "ship to",
    "kunde", "rechnungsempfanger", "rechnungsadresse", "an",
    "client", "facture a", "destinataire", "acheteur",
    "cliente", "facturar a", "destinatario", "comprador",
]

# Words that open the supplier's block.
SUPPLIER_LABELS: list[str] = [
    "fornitore", "cedente", "prestatore", "mittente", "emittente",
    "supplier", "seller", "vendor", "from",
    "lieferant", "verkaufer", "absender",
    "fournisseur", "vendeur", "emetteur",
    "proveedor", "vendedor", "emisor",
]

# Column headers of the line-item table.
LINE_HEADERS: dict[str, list[str]] = {
    "description": [
        "descrizione", "descrizione articolo", "articolo", "prodotto", "servizio", "oggetto",
        "description", "item", "item description", "product", "service", "details",
        "beschreibung", "bezeichnung", "artikel", "leistung", "artikelbezeichnung",
        "designation", "libelle", "produit",
        "descripcion", "concepto", "articulo", "producto",
    ],
    "quantity": [
        "quantita", "qta", "q ta", "qt", "quantity", "qty", "menge", "anzahl", "quantite", "qte",
        "cantidad", "cant", "uds", "unita",
    ],
    "unit_price": [
        "prezzo", "prezzo unitario", "prezzo unit", "pr unit", "p unitario", "unit price", "price",
        "rate", "unit cost", "einzelpreis", "preis", "e preis", "stuckpreis", "prix unitaire", "prix",
        "pu", "prix unit ht", "precio", "precio unitario", "p unit",
    ],
    "amount": [
        "importo", "totale", "importo totale", "valore", "amount", "total", "line total", "net",
        "betrag", "gesamt", "gesamtpreis", "summe", "montant", "montant ht", "total ht",
        "importe", "total linea",
    ],
    "vat_rate": [
        "iva", "% iva", "aliquota", "iva %", "vat", "vat %", "tax", "mwst", "ust", "mwst %", "tva",
        "tva %", "% tva", "iva %",
    ],
}

# Receipt total labels with a weight: the final amount paid beats intermediate totals.
RECEIPT_TOTAL_LABELS: dict[str, float] = {
    "total rounded": 1.0, "rounded total": 1.0, "total amt rounded": 1.0, "total after rounding": 1.0,
    "after rounding": 0.95, "grand total": 1.0,
    "final total": 1.0, "nett total": 0.95, "net total": 0.9, "total payable": 0.95, "amount due": 0.9,
    "total due": 0.9, "total incl": 0.95, "total inclusive": 0.95, "total sales inclusive": 0.95,
    "total sales incl": 0.95, "total including": 0.95, "total including gst": 0.95,
    # "TOTAL (GST INCL)": longer than the "total gst" that names the tax, so it wins the overlap.
    "total gst incl": 0.95, "total gst inclusive": 0.95, "total incl gst": 0.95, "total inc gst": 0.95,
    "total sales": 0.8, "total amount": 0.9, "total": 0.85, "total rm": 0.85,
    "balance due": 0.85, "due": 0.8, "to pay": 0.8, "amount": 0.5, "net amount": 0.7,
    "totale": 0.9, "totale complessivo": 1.0, "totale euro": 0.95, "importo pagato": 0.8,
    "totale da pagare": 1.0,
    "summe": 0.85, "gesamt": 0.85, "gesamtbetrag": 0.95, "zu zahlen": 0.95, "bar": 0.4,
    "total ttc": 0.95, "montant ttc": 0.9, "net a payer": 0.95, "a payer": 0.8,
    "total a pagar": 0.95, "importe total": 0.9, "total eur": 0.95,
}

# Labels that look like totals but are not the amount paid.
RECEIPT_NOT_TOTAL: list[str] = [
    "subtotal", "sub total", "total qty", "total quantity", "total item", "total items", "total excl",
    "total excluding", "total gst", "total tax", "tax total", "total discount", "total savings",
    "total sales excluding", "total sales excl", "excl", "gst summary", "total 0", "rounding", "change",
    "cash", "tendered", "payment", "paid", "qty", "items", "discount", "resto", "contanti", "rückgeld",
    "totale iva", "subtotale", "imponibile", "total gross",
]

# Labels that introduce the receipt date.
RECEIPT_DATE_LABELS: list[str] = [
    "date", "data", "datum", "fecha", "bill date", "invoice date", "doc date", "trans date",
]

# Lines that are a receipt's header or title, never the shop's name.
RECEIPT_TITLE_WORDS: list[str] = [
    "tax invoice", "invoice", "receipt", "official receipt", "cash sales", "cash bill",
    "simplified tax invoice",
    "welcome", "scontrino", "documento commerciale", "ricevuta", "quittung", "kassenbon", "beleg",
    "ticket", "recu", "factura simplificada", "copy", "reprint", "thank you",
]

# Lines that end a receipt's address block.
ADDRESS_STOPS: list[str] = [
    "tel", "telephone", "phone", "fax", "gst", "gst no", "gst id", "gst reg", "email", "e mail", "www",
    "http", "co reg", "company reg", "roc", "reg no", "tax invoice", "invoice", "receipt", "cash", "date",
    "p iva", "partita iva", "c f", "ust idnr", "steuernummer", "siret", "tva", "nif", "cif", "hp", "h p",
    "mobile", "business reg", "sst", "doc no", "cashier", "table", "bill",
]

# Keyword evidence for classification: (phrase, weight) per doc type, all five languages.
DOC_TYPE_KEYWORDS: dict[str, list[tuple[str, float]]] = {
    "invoice": [
        ("fattura", 3.0), ("fattura n", 2.0), ("imponibile", 1.5), ("aliquota iva", 1.0), ("p iva", 0.5),
        ("invoice", 3.0), ("tax invoice", 1.0), ("invoice number", 2.0), ("amount due", 1.0), ("vat", 0.5),
        ("rechnung", 3.0), ("rechnungsnummer", 2.0), ("mwst", 1.0), ("ust idnr", 0.5),
        ("facture", 3.0), ("numero de facture", 2.0), ("total ttc", 1.0), ("tva", 0.5),
        ("factura", 3.0), ("numero de factura", 2.0), ("base imponible", 1.0),
        ("scadenza", 0.5), ("due date", 0.5), ("iban", 0.5), ("zahlbar", 0.5),
    ],
    "credit_note": [
        ("nota di credito", 6.0), ("nota credito", 6.0), ("td04", 4.0), ("storno", 2.0),
        ("credit note", 6.0), ("credit memo", 6.0),
        ("gutschrift", 6.0), ("rechnungskorrektur", 4.0),
        ("avoir", 6.0), ("note de credit", 6.0),
        # "ABONO" titles a Spanish credit note whose number is a "Rectificativa n.º": together they are as clear
        # as "factura rectificativa", and so is "ABONO" printed twice; "abono" once may be a payment ("abono en
        # cuenta").
        ("nota de credito", 6.0), ("factura rectificativa", 6.0), ("abono", 4.0), ("rectificativa", 3.0),
        ("rectifica la factura", 2.0),
    ],
    "receipt": [
        ("scontrino", 4.0), ("documento commerciale", 4.0), ("ricevuta", 3.0), ("contanti", 1.0),
        ("resto", 1.0), ("receipt", 4.0), ("cash", 1.0), ("change", 1.0), ("cashier", 2.0),
        ("thank you", 1.0), ("rounding", 1.0), ("tendered", 1.0), ("gst", 0.5), ("total qty", 1.0),
        ("kassenbon", 4.0), ("quittung", 3.0), ("bar", 0.5), ("ruckgeld", 1.5), ("kasse", 1.5),
        ("ticket", 2.0), ("recu", 2.0), ("especes", 1.0), ("rendu", 1.0),
        ("ticket de compra", 4.0), ("efectivo", 1.0), ("cambio", 0.5), ("factura simplificada", 3.0),
    ],
    "contract": [
        ("contratto", 4.0), ("tra le parti", 3.0), ("premesso che", 3.0), ("si conviene", 2.0),
        ("foro competente", 2.0), ("articolo", 1.0), ("recesso", 1.0), ("sottoscritto", 1.0),
        ("agreement", 4.0), ("contract", 3.0), ("whereas", 3.0), ("hereinafter", 2.0),
        ("governing law", 2.0), ("in witness whereof", 3.0), ("party", 0.5), ("term", 0.5),
        ("vertrag", 4.0), ("vereinbarung", 3.0), ("zwischen", 1.0), ("gerichtsstand", 2.0),
        ("contrat", 4.0), ("entre les soussignes", 3.0), ("il a ete convenu", 2.0),
        ("contrato", 4.0), ("reunidos", 2.0), ("clausula", 2.0), ("exponen", 2.0),
        ("non disclosure", 3.0), ("confidential", 1.0), ("confidentiality", 2.0),
    ],
    "order": [
        ("ordine", 3.0), ("ordine d acquisto", 5.0), ("ordine di acquisto", 5.0), ("ordine n", 3.0),
        ("data consegna", 1.5), ("cig", 1.0), ("cup", 0.5),
        ("purchase order", 5.0), ("order number", 2.0), ("po number", 2.0), ("delivery date", 1.5),
        ("bestellung", 5.0), ("bestellnummer", 2.0), ("auftrag", 2.0), ("liefertermin", 1.5),
        ("bon de commande", 5.0), ("commande", 2.0), ("date de livraison", 1.5),
        ("pedido", 4.0), ("orden de compra", 5.0), ("fecha de entrega", 1.5),
    ],
    "delivery_note": [
        ("documento di trasporto", 6.0), ("ddt", 4.0), ("bolla", 3.0), ("vettore", 1.5),
        ("causale del trasporto", 2.0), ("aspetto dei beni", 2.0), ("colli", 1.0),
        ("delivery note", 6.0), ("packing slip", 4.0), ("dispatch note", 4.0), ("carrier", 1.0),
        ("lieferschein", 6.0), ("bon de livraison", 6.0), ("albaran", 6.0), ("nota de entrega", 5.0),
    ],
    "timesheet": [
        ("foglio presenze", 6.0), ("presenze", 3.0), ("ore ordinarie", 3.0), ("straordinario", 2.0),
        ("straordinari", 2.0), ("ferie", 1.0), ("permesso", 1.0), ("malattia", 1.0),
        ("timesheet", 6.0), ("time sheet", 6.0), ("hours worked", 3.0), ("overtime", 2.0),
        ("stundenzettel", 6.0), ("arbeitszeit", 3.0), ("uberstunden", 2.0),
        ("feuille de temps", 6.0), ("heures", 1.5), ("hoja de horas", 6.0), ("horas", 1.5),
    ],
}

# Words of party names and addresses that are written with accents in a language, where the same letters without
# them (or with other accents) are no word of that language: OCR's dropped or changed accents can be put back. A
# word that is right unaccented in the language ("Martin", "Tecnologia" in Italian, "Equipements" in capitals)
# is not here. By language, since "Lopez Inc." is right in English and "Tecnologia" in Italian.
ACCENTED_WORDS: dict[str, list[str]] = {
    "es": [
        # surnames
        "García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez", "Gómez",
        "Jiménez", "Hernández", "Díaz", "Álvarez", "Muñoz", "Gutiérrez", "Ramírez", "Vázquez", "Domínguez",
        "Suárez", "Ibáñez", "Núñez", "Méndez", "Sáez", "Benítez", "Gálvez", "Márquez", "Rubén", "Ramón",
        "José", "Jesús", "Andrés", "Óscar", "Sebastián", "Tomás", "Joaquín", "Agustín", "Ángel",
        # trade words
        "Tecnología", "Tecnologías", "Ingeniería", "Consultoría", "Asesoría", "Ferretería", "Librería",
        "Compañía", "Energía", "Logística", "Informática", "Electrónica", "Técnica", "Técnicas", "Técnicos",
        "Eléctrica", "Eléctricas", "Mecánica", "Mecánicas", "Química", "Ibérica", "Cerámica", "Cerámicas",
        "Óptica", "Fontanería", "Carpintería", "Panadería", "Cafetería", "Automoción",
        "Gestión", "Telecomunicación", "Señor",
        # places and streets
        "España", "Málaga", "Córdoba", "Cádiz", "León", "Almería", "Jaén", "Ávila", "Logroño", "Alcalá",
        "Gijón", "Castellón", "Cáceres", "Mérida", "Cataluña", "Andalucía", "Aragón", "Línea",
        "Constitución", "Pública", "Río", "Colón", "Jardín", "Galería", "Polígono", "Número",
    ],
    "de": [
        "Müller", "Schröder", "Schäfer", "Köhler", "Krüger", "Jäger", "Günther", "Möller", "Böhm", "Schütz",
        "Kühn", "Fröhlich", "Hübner", "Glöckner", "Jürgen", "Jörg", "Björn", "Käthe",
        "München", "Köln", "Düsseldorf", "Nürnberg", "Würzburg", "Lübeck", "Münster", "Göttingen",
        "Saarbrücken", "Osnabrück", "Tübingen", "Zürich", "Österreich", "Fürth", "Jülich", "Lüneburg",
        "Überweisung", "Fälligkeit", "Bäckerei", "Büro", "Bürobedarf", "Gebäude", "Gebäudetechnik",
        "Getränke", "Küchen", "Möbel", "Geräte", "Gerätebau", "Lösungen", "Härterei", "Präzision",
        "Übersetzungen", "Zubehör", "Händler", "Kältetechnik", "Prüftechnik",
        "Förderanlagen", "Fördertechnik", "Brücke", "Brückenbau", "Grün", "Gärtnerei",
        "Lüftungstechnik", "Elektrogeräte", "Wärme", "Wärmetechnik",
    ],
    "fr": [
        "Lefèvre", "Lefèbvre", "Hervé", "Gérard", "Frédéric", "Benoît", "Jérôme", "Rémi", "Aurélie", "Hélène",
        "Cécile", "Chloé", "Zoé", "Jaurès", "Frères", "Société", "Générale", "Général", "Électricité",
        "Électrique", "Bâtiment", "Bâtiments", "Matériaux", "Matériel", "Énergie", "Énergies", "Métallurgie",
        "Sécurité", "Télécom", "Télécoms", "Médical", "Médicale", "Équipements", "Équipement", "Réseaux",
        "Systèmes", "Hôtel", "Hôpital", "République", "Élysées", "Liberté", "Fraternité", "Besançon",
        "Orléans", "Nîmes", "Évry", "Béziers", "Angoulême", "Genève", "Châteauroux", "Montréal", "Québec",
        "Château", "Entrepôt", "Entrepôts", "Créations", "Mécanique", "Électronique",
        "Fenêtres", "Rénovation", "Numérique", "Étienne", "Stéphane", "Cédric", "Sébastien", "Jérémy",
    ],
    "it": [
        "Università", "Società", "Attività", "Città", "Caffè", "Niccolò", "Nicolò", "Forlì", "Cantù",
        "Canicattì", "Santhià", "Mondovì", "Ragù", "Qualità", "Comunità", "Sanità", "Proprietà", "Novità",
        "Solidarietà", "Fraternità", "Libertà", "Unità", "Bontà",
    ],
}

# Letters with diacritics each language writes (lower case; loan words such as "Café" aside). A word of a name
# or address in the party's language holding another one ("Constituciön" in Spain, "Mùnchen" in Germany) was
# damaged by OCR.
LANGUAGE_LETTERS: dict[str, str] = {
    "es": "áéíóúüñ",
    "de": "äöüßé",
    "fr": "àâæçéèêëîïôœùûüÿ",
    "it": "àèéìíòóùúî",
}

# Country names, folded, as an address's last part prints them, and the VAT-id prefixes, to the language a
# party's name and address are written in.
COUNTRY_LANGUAGES: dict[str, str] = {
    "spain": "es", "espana": "es", "es": "es",
    "germany": "de", "deutschland": "de", "de": "de", "austria": "de", "osterreich": "de", "at": "de",
    "france": "fr", "fr": "fr",
    "italy": "it", "italia": "it", "it": "it",
    "united kingdom": "en", "uk": "en", "gb": "en", "usa": "en", "united states": "en", "ireland": "en",
    "ie": "en",
}

# Words a name prints in lower case between capitalised ones ("Ferramenta di Giuseppe Colombo", "Rue de la
# Paix"): any other lower-case word in a name is OCR's misreading of a capital ("Miller industries LLC") or the
# tail of a word it split ("Colo mbo").
NAME_PARTICLES: frozenset[str] = frozenset({
    "di", "del", "della", "dello", "dei", "degli", "delle", "da", "dal", "dalla", "e", "ed", "in", "per", "con",
    "de", "la", "le", "les", "du", "des", "et", "en", "sur", "aux", "au",
    "y", "los", "las", "el",
    "von", "van", "der", "den", "dem", "und", "zu", "zum", "zur", "am", "im", "an", "auf", "für", "bei",
    "and", "of", "the", "for", "&", "co", "mbh", "st", "d", "l",
})
