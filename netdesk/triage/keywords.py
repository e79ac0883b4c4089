"""The cold-start words: what a ticket says when it is a fault, a request, a
complaint, a billing question or a question for information, and when it
describes a network that does not carry traffic. Used until the desk has
resolved enough tickets to learn its own words.

How to read an entry: words are matched without case or accents ("störung"
also matches "Störung" and "Storung"); a trailing "*" matches any ending of
the last word ("rechnung*" is "Rechnung", "Rechnungen", "Rechnungsbetrag");
a trailing "!" marks a word that settles the matter nearly alone (it weighs
2, an ordinary word 1, a phrase of several words 1.5).
"""

from __future__ import annotations

# The lists stay packed, a few entries a line, to read as vocabularies.
# fmt: off
# Loss or degradation of network service, whatever type the ticket has:
# these are the complaints the outage detector counts. Names of equipment
# or technology (router, fibre) are left out: an order for a router or a
# question about fibre is no fault.
NETWORK_FAULT: dict[str, tuple[str, ...]] = {
    "en": (
        "no internet!", "internet down!", "internet is down!", "internet not working!",
        "no connection", "no connectivity", "lost connection", "connection drops",
        "connection dropping", "keeps disconnecting", "disconnect*", "no signal!",
        "no service!", "no dial tone!", "line down!", "line is down!", "outage!",
        "packet loss!", "high latency", "latency", "slow internet!", "very slow",
        "slow", "buffering", "wifi not working", "intermittent",
        "cannot connect", "can not connect", "unable to connect", "offline",
        "unreachable", "network down!", "network is down!", "dropped calls",
        "no broadband",
    ),
    "de": (
        "kein internet!", "internet geht nicht!", "internet funktioniert nicht!",
        "keine verbindung", "verbindungsabbr*", "verbindung bricht ab",
        "kein signal!", "kein empfang!", "kein netz!", "netzausfall!",
        "internetausfall!", "storung*", "ausfall", "ausgefallen", "langsam",
        "paketverlust!", "latenz", "wlan geht nicht",
        "offline", "nicht erreichbar", "leitung tot!", "kein freizeichen!",
        "unterbrochen",
    ),
    "fr": (
        "pas d internet!", "plus d internet!", "pas de connexion", "plus de connexion",
        "coupure*", "panne*", "pas de signal!", "pas de reseau!", "plus de reseau!",
        "lent", "lente", "lenteur*", "perte de paquets!", "latence", "deconnect*",
        "hors ligne", "injoignable", "pas de tonalite!",
    ),
    "es": (
        "sin internet!", "no tengo internet!", "sin conexion", "sin servicio!",
        "sin senal!", "sin cobertura!", "caida del servicio!", "caida de red!",
        "se cae", "se corta", "cortes", "desconect*", "lento", "lentitud",
        "perdida de paquetes!", "latencia", "fuera de linea",
        "no hay tono!", "intermitente",
    ),
    "pt": (
        "sem internet!", "internet caiu!", "sem conexao", "sem ligacao",
        "sem sinal!", "sem servico!", "sem rede!", "queda*", "caiu", "lento",
        "lentidao", "perda de pacotes!", "latencia", "desconect*", "fora do ar!",
        "instavel", "intermitente",
    ),
}

TICKET_TYPE: dict[str, dict[str, tuple[str, ...]]] = {
    "fault": {
        "en": (
            "not working", "doesn t work", "does not work", "stopped working", "broken",
            "error*", "fail*", "crash*", "bug", "defect*", "fault*", "incident",
            "down", "issue", "problem", "malfunction*", "timeout", "timed out",
        ),
        "de": (
            "funktioniert nicht", "geht nicht", "defekt*", "fehler*", "absturz",
            "abgesturzt", "storung*", "problem*", "kaputt", "ausfall", "ausgefallen",
            "vorfall", "zeituberschreitung",
        ),
        "fr": (
            "ne fonctionne pas", "ne fonctionne plus", "ne marche pas", "ne marche plus",
            "erreur*", "plantage", "plante", "defaillance", "dysfonctionnement*",
            "probleme*", "panne*", "incident", "hors service", "bloque",
        ),
        "es": (
            "no funciona", "dejo de funcionar", "error*", "fallo*", "falla*",
            "averia*", "problema*", "incidencia*", "incidente", "caida", "bloqueado",
        ),
        "pt": (
            "nao funciona", "parou de funcionar", "erro*", "falha*", "defeito*",
            "problema*", "avaria*", "incidente", "travado", "travou",
        ),
    },
    "service_request": {
        "en": (
            "please install", "set up", "setup", "install*", "new account", "activate",
            "activation", "upgrade", "change my", "relocat*", "moving house", "add a",
            "grant access", "access to", "reset my password", "password reset",
            "configure", "order", "provision*", "new line", "cancel my", "request for",
            "i would like to request", "onboard*",
        ),
        "de": (
            "einrichten", "einrichtung", "installier*", "installation", "freischalt*",
            "aktivier*", "upgrade", "umzug", "neuer zugang", "zugang fur",
            "passwort zurucksetzen", "bestellen", "bestellung", "kundigen", "kundigung",
            "beantragen", "antrag", "bitte um", "konfigurier*", "zugriff",
        ),
        "fr": (
            "installer", "installation", "activer", "activation", "mise en service",
            "demenagement", "configurer", "acces a", "reinitialiser", "commander",
            "commande", "resilier", "resiliation", "demande de", "je souhaite",
        ),
        "es": (
            "solicito", "solicitud de", "instalar", "instalacion", "activar",
            "activacion", "configurar", "acceso a", "mudanza", "restablecer",
            "contratar", "dar de baja", "alta de", "quisiera solicitar",
        ),
        "pt": (
            "solicito", "solicitacao de", "pedido de", "instalar", "instalacao",
            "ativar", "ativacao", "configurar", "acesso a", "mudanca de endereco",
            "redefinir", "contratar", "cancelar", "gostaria de solicitar",
        ),
    },
    "complaint": {
        "en": (
            "complain*!", "unacceptable!", "disappointed", "dissatisfied", "terrible",
            "poor service", "worst", "once again", "still not", "rude", "frustrat*",
            "angry", "escalate", "compensation", "fed up", "ridiculous",
        ),
        "de": (
            "beschwerde!", "beschweren", "unzumutbar!", "inakzeptabel!", "enttauscht",
            "unzufrieden", "frechheit", "schon wieder", "immer noch nicht", "verargert",
            "entschadigung", "argerlich",
        ),
        "fr": (
            "plainte!", "reclamation!", "inacceptable!", "decu", "decue", "mecontent*",
            "insatisfait*", "scandaleux", "encore une fois", "toujours pas",
            "indemnisation", "inadmissible",
        ),
        "es": (
            "queja!", "reclamacion!", "reclamo!", "inaceptable!", "decepcionad*",
            "insatisfech*", "molest*", "otra vez", "todavia no", "indemnizacion",
            "pesimo", "indignad*",
        ),
        "pt": (
            "reclamacao!", "queixa!", "inaceitavel!", "decepcionad*", "insatisfeit*",
            "absurdo", "de novo", "ainda nao", "indenizacao", "pessimo", "revoltad*",
        ),
    },
    "billing_inquiry": {
        "en": (
            "bill", "billing!", "invoice*!", "charge*", "overcharg*!", "payment",
            "refund", "price", "price increase!", "fee", "fees", "data cap", "tariff",
            "direct debit", "subscription", "credit note", "amount",
        ),
        "de": (
            "rechnung*!", "abrechnung*!", "gebuhr*", "preis*", "preiserhohung!",
            "zahlung*", "lastschrift", "erstattung", "ruckerstattung", "abgebucht",
            "tarif*", "kosten", "gutschrift", "betrag", "datenvolumen",
        ),
        "fr": (
            "facture*!", "facturation!", "prelevement*", "paiement", "remboursement",
            "prix", "tarif*", "frais", "augmentation", "montant", "abonnement",
        ),
        "es": (
            "factura*!", "facturacion!", "cobro*", "cobrado", "pago", "reembolso",
            "precio*", "tarifa*", "cargo*", "importe", "suscripcion",
        ),
        "pt": (
            "fatura*!", "faturamento!", "cobranca*", "cobrado", "cobraram", "pagamento",
            "reembolso", "preco*", "tarifa*", "mensalidade", "debito", "assinatura",
        ),
    },
    "information_request": {
        "en": (
            "information", "question", "how do i", "how can i", "how to", "what is",
            "could you tell", "would like to know", "inquiry", "enquiry", "details",
            "availability", "is it possible", "documentation", "wondering",
        ),
        "de": (
            "information*", "frage", "wie kann ich", "mochte wissen", "auskunft",
            "ist es moglich", "verfugbarkeit", "erkundigen", "einzelheiten",
        ),
        "fr": (
            "information*", "question", "comment puis je", "savoir", "renseignement*",
            "disponibilite", "est il possible", "details",
        ),
        "es": (
            "informacion", "pregunta", "como puedo", "saber", "consulta",
            "disponibilidad", "es posible", "detalles",
        ),
        "pt": (
            "informacao", "informacoes", "pergunta", "como posso", "saber", "consulta",
            "disponibilidade", "e possivel", "detalhes", "duvida",
        ),
    },
}
# fmt: on
