"""The shop's support intents and the examples its team labelled (written for the demo): what Analytics ›
Intents starts from, and what the worker learns to read support tickets, chats and emails with."""

from __future__ import annotations

INTENTS: list[tuple[str, str, list[str]]] = [
    (
        "Where is my order",
        "Delivery status, late or missing parcels",
        [
            "Where is my order? It was meant to arrive on Tuesday.",
            "My parcel still hasn't arrived and tracking hasn't moved for days.",
            "Can you tell me when my delivery will turn up?",
            "The tracking says delivered but I have nothing.",
            "It's been two weeks and my order is still not here.",
            "Has my order been dispatched yet?",
        ],
    ),
    (
        "Return or exchange",
        "Sending items back, swapping a size or colour",
        [
            "How do I return a dress that doesn't fit?",
            "I'd like to exchange these jeans for a bigger size.",
            "Can I send back the lamp? It doesn't match the room.",
            "Where do I find the returns label?",
            "Is it too late to return something I bought last month?",
            "I want to swap the blue throw for the grey one.",
        ],
    ),
    (
        "Refund status",
        "Money back for returns and cancellations",
        [
            "I returned my order two weeks ago and still no refund.",
            "When will my refund reach my account?",
            "You received my return but haven't refunded me.",
            "The refund I got is less than what I paid.",
            "Has my refund been processed yet?",
            "I was promised a refund for the damaged vase, where is it?",
        ],
    ),
    (
        "Change or cancel order",
        "Editing an order before it ships",
        [
            "Can I cancel my order? I ordered the wrong size.",
            "I need to change the delivery address on my order.",
            "Please cancel order 10482 before it ships.",
            "Can I add another item to the order I placed this morning?",
            "I'd like to change the colour of the sofa cushions I ordered.",
            "Is it possible to deliver my order on a different day?",
        ],
    ),
    (
        "Payment problem",
        "Declined cards, double charges, discount codes",
        [
            "I've been charged twice for the same order.",
            "My card keeps getting declined at checkout.",
            "The discount code won't apply to my basket.",
            "Why was I charged for delivery when it should be free?",
            "Payment failed but the money left my account.",
            "Klarna says my payment didn't go through.",
        ],
    ),
    (
        "Product question",
        "Sizes, materials, care and stock before buying",
        [
            "Is the linen shirt true to size?",
            "What is the rug made of, is it washable?",
            "When will the oak side table be back in stock?",
            "Does the duvet cover come in king size?",
            "How should I wash the wool jumper?",
            "Are the mugs dishwasher safe?",
        ],
    ),
]
