"""A small cross-language probe written for the knowledge-base bench: twelve
English help articles of a network operator, each asked by one customer
question in English, German, Spanish, Portuguese and French. The questions
say the problem in a customer's words, not the article's title."""

from __future__ import annotations

PROBE: list[dict] = [
    {
        "title": "Fibre modem shows a red LOS light",
        "body": "A red LOS (loss of signal) light on the fibre modem means no light arrives "
        "from the fibre network. Check that the green fibre cable is clicked into the "
        "modem and into the wall socket and is not bent sharply. Do not look into the "
        "cable's end. If the light stays red after reseating the cable, the fault is on "
        "the line: open a ticket and we will send a technician.",
        "questions": {
            "en": "The little lamp on my internet box is red and there is no internet at all",
            "de": "Das Lämpchen an meinem Internet-Gerät leuchtet rot und ich habe gar kein "
            "Internet mehr",
            "es": "La lucecita de mi aparato de internet está en rojo y no tengo nada de conexión",
            "pt": "A luzinha do meu aparelho de internet está vermelha e fiquei sem internet",
            "fr": "Le petit voyant de ma box internet est rouge et je n'ai plus du tout d'internet",
        },
    },
    {
        "title": "Wi-Fi is slow in some rooms",
        "body": "Walls, floors and other wireless networks weaken the Wi-Fi signal. Place "
        "the router in the open, in the middle of the home and off the floor. Use the 5 GHz "
        "network near the router and 2.4 GHz further away. A mesh system or an access "
        "point connected by cable covers large homes. A speed test on a cable shows the "
        "line's real speed.",
        "questions": {
            "en": "In the bedroom upstairs the wireless barely works and videos keep buffering",
            "de": "Im Schlafzimmer oben funktioniert das WLAN kaum und Videos laden ständig nach",
            "es": "En el dormitorio de arriba el wifi casi no funciona y los vídeos se cortan",
            "pt": "No quarto lá em cima o wifi quase não funciona e os vídeos ficam travando",
            "fr": "Dans la chambre à l'étage le wifi marche à peine et les vidéos se coupent",
        },
    },
    {
        "title": "Changing the Wi-Fi password",
        "body": "Sign in to the router's page at http://192.168.1.1 with the password on the "
        "sticker under the router. Open Wireless, then Security, enter the new network key "
        "(at least 12 characters) and save. Every device must then join again with the new "
        "key.",
        "questions": {
            "en": "How do I set a new key for my wireless network?",
            "de": "Wie kann ich das Kennwort meines WLANs ändern?",
            "es": "¿Cómo cambio la contraseña de mi red inalámbrica?",
            "pt": "Como faço para mudar a senha da minha rede sem fio?",
            "fr": "Comment modifier le mot de passe de mon réseau sans fil ?",
        },
    },
    {
        "title": "Invoice higher than usual",
        "body": "An invoice can be higher after a tariff change (the first invoice charges "
        "part of two months), after calls to premium or foreign numbers, or after a one-off "
        "installation fee. The invoice lists each item; the portal shows the calls. If an "
        "item is wrong, reply to the invoice mail within 8 weeks and we correct it.",
        "questions": {
            "en": "Why do I have to pay so much more this month than normally?",
            "de": "Warum ist meine Rechnung diesen Monat so viel teurer als sonst?",
            "es": "¿Por qué mi factura de este mes es mucho más cara que de costumbre?",
            "pt": "Por que a minha fatura deste mês está muito mais cara do que o normal?",
            "fr": "Pourquoi ma facture de ce mois est-elle beaucoup plus chère que d'habitude ?",
        },
    },
    {
        "title": "Moving home: taking the connection along",
        "body": "Tell us the new address at least four weeks before the move. We check "
        "which speeds are available there and book the switch-over for the moving day. "
        "Take the router and the TV box along; the contract continues. If the new address "
        "cannot be served, the contract can be ended early.",
        "questions": {
            "en": "We are relocating to another town next month, what happens to my contract?",
            "de": "Wir ziehen nächsten Monat in eine andere Stadt um, was passiert mit meinem "
            "Vertrag?",
            "es": "Nos mudamos a otra ciudad el mes que viene, ¿qué pasa con mi contrato?",
            "pt": "Vamos nos mudar para outra cidade no mês que vem, o que acontece com o "
            "meu contrato?",
            "fr": "Nous déménageons dans une autre ville le mois prochain, que devient mon "
            "contrat ?",
        },
    },
    {
        "title": "TV picture freezes or shows blocks",
        "body": "Frozen or blocky TV pictures come from packet loss on the line or a weak "
        "Wi-Fi link to the TV box. Connect the TV box to the router by cable, restart both "
        "and check for an outage notice in the portal. If the picture still freezes on "
        "every channel, open a ticket with the channel and the time.",
        "questions": {
            "en": "The image on my television keeps stopping and turns into little squares",
            "de": "Das Bild auf meinem Fernseher bleibt ständig stehen und zerfällt in "
            "kleine Quadrate",
            "es": "La imagen de mi televisor se congela todo el rato y se llena de cuadraditos",
            "pt": "A imagem da minha televisão congela o tempo todo e aparecem quadradinhos",
            "fr": "L'image de ma télévision se fige sans arrêt et se transforme en petits carrés",
        },
    },
    {
        "title": "Phone line has no dial tone",
        "body": "The phone is connected to the router, not to the wall. Check that the "
        "handset is plugged into the router's phone port and that the router is online. "
        "Restart the router; telephony starts about three minutes after the internet. If "
        "there is still no tone, open a ticket: we check the telephony registration.",
        "questions": {
            "en": "When I pick up my home phone I hear nothing, it is completely silent",
            "de": "Wenn ich den Hörer von meinem Festnetztelefon abnehme, höre ich nichts, "
            "es ist völlig still",
            "es": "Cuando descuelgo el teléfono fijo no oigo nada, está completamente mudo",
            "pt": "Quando tiro o telefone fixo do gancho não ouço nada, fica totalmente mudo",
            "fr": "Quand je décroche mon téléphone fixe je n'entends rien, c'est complètement muet",
        },
    },
    {
        "title": "Cancelling the contract",
        "body": "A contract can be ended at the end of its minimum term with one month's "
        "notice, later at any time with one month's notice. Send the notice from the portal "
        "or by letter; we confirm it by mail with the end date. Return the router within 14 "
        "days after the end, or it is charged.",
        "questions": {
            "en": "I want to stop my subscription with you, how much notice do I need to give?",
            "de": "Ich möchte mein Abo bei Ihnen beenden, welche Frist muss ich einhalten?",
            "es": "Quiero dar de baja mi suscripción, ¿con cuánta antelación tengo que avisar?",
            "pt": "Quero encerrar a minha assinatura, com quanta antecedência tenho que avisar?",
            "fr": "Je veux mettre fin à mon abonnement, quel préavis dois-je respecter ?",
        },
    },
    {
        "title": "Internet drops every evening",
        "body": "Drops at the same time every day point to interference (a device switched "
        "on in the evening), an overloaded Wi-Fi channel or a line fault that shows when "
        "it is warm. Note the times, check whether a cable-connected computer drops too, "
        "and open a ticket: we read the line's error counters for those hours.",
        "questions": {
            "en": "Every night around eight o'clock my connection goes away for a few minutes",
            "de": "Jeden Abend gegen acht Uhr ist meine Verbindung für ein paar Minuten weg",
            "es": "Todas las noches hacia las ocho se me cae la conexión unos minutos",
            "pt": "Todas as noites por volta das oito a minha conexão cai por alguns minutos",
            "fr": "Tous les soirs vers vingt heures ma connexion disparaît quelques minutes",
        },
    },
    {
        "title": "Email cannot be sent from a mail program (SMTP)",
        "body": "Mail programs must send through port 587 with STARTTLS and sign in with the "
        "full mail address and its password; port 25 is closed for customers. Check these "
        "settings in the program's outgoing server. A new password in the portal must also "
        "be entered in the program.",
        "questions": {
            "en": "Outlook receives my messages but every message I write stays in the outbox",
            "de": "Outlook empfängt meine Nachrichten, aber jede Nachricht, die ich schreibe, "
            "bleibt im Postausgang",
            "es": "Outlook recibe mis mensajes pero todos los que escribo se quedan en la "
            "bandeja de salida",
            "pt": "O Outlook recebe as minhas mensagens mas tudo o que escrevo fica na caixa "
            "de saída",
            "fr": "Outlook reçoit mes messages mais tout ce que j'écris reste dans la boîte "
            "d'envoi",
        },
    },
    {
        "title": "Static IP address for a business line",
        "body": "Business lines can have one fixed public IPv4 address or a /29 block, "
        "ordered in the portal. It is set up within two working days; the router then gets "
        "the address by itself. A fixed address is needed for a VPN gateway or a server "
        "reachable from outside.",
        "questions": {
            "en": "Our office needs an address that never changes so staff can reach the VPN",
            "de": "Unser Büro braucht eine Adresse, die sich nie ändert, damit die Mitarbeiter "
            "das VPN erreichen",
            "es": "Nuestra oficina necesita una dirección que no cambie nunca para que el "
            "personal llegue a la VPN",
            "pt": "O nosso escritório precisa de um endereço que nunca mude para a equipe "
            "acessar a VPN",
            "fr": "Notre bureau a besoin d'une adresse qui ne change jamais pour que le "
            "personnel accède au VPN",
        },
    },
    {
        "title": "Outage in your area: what to expect",
        "body": "During a known network outage the portal and the phone line's announcement "
        "say which area is affected and when service should return. There is no need to "
        "report it again. Customers whose service was down for more than a day are "
        "credited on the next invoice without asking.",
        "questions": {
            "en": "Nothing works in our whole street since this morning, do I get money back?",
            "de": "In unserer ganzen Straße geht seit heute Morgen nichts, bekomme ich Geld "
            "zurück?",
            "es": "En toda nuestra calle no funciona nada desde esta mañana, ¿me devuelven dinero?",
            "pt": "Na nossa rua inteira nada funciona desde hoje de manhã, recebo dinheiro "
            "de volta?",
            "fr": "Rien ne marche dans toute notre rue depuis ce matin, est-ce que je serai "
            "remboursé ?",
        },
    },
]
