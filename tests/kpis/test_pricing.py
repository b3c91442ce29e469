"""Pricing KPIs: price_index, price_gap."""

from __future__ import annotations

import pytest

from ._helpers import one, only


def _prices():
    def cp(product, competitor, day, price):
        return {"product_id": product, "competitor": competitor, "observed_on": day, "price": price}

    return {
        "products": [
            {"product_id": "p1", "name": "Product 1", "list_price": 110},
            {"product_id": "p2", "name": "Product 2", "list_price": 50},
        ],
        "competitor_prices": [
            cp("p1", "X", "2024-03-01", 70),
            cp("p1", "X", "2024-03-20", 80),  # X's latest in March
            cp("p1", "Y", "2024-03-10", 120),
            cp("p1", "Z", "2024-02-15", 50),  # Feb: out
            cp("p1", "Y", "2024-04-01", 10),  # range end: out
            cp("p2", "X", "2024-03-05", 40),
        ],
    }


def test_price_index(ws):
    ws.load(_prices())
    by_product = ws.kpi(["price_index"], by=["product"], start="2024-03-01", end="2024-04-01")
    # p1: latest in March X 80, Y 120 => mean 100 => 100 × 110 / 100 = 110
    assert only(by_product, product="p1")["price_index"] == pytest.approx(110)
    # p2: X 40 => 100 × 50 / 40 = 125
    assert only(by_product, product="p2")["price_index"] == pytest.approx(125)
    total = one(ws.kpi(["price_index"], start="2024-03-01", end="2024-04-01"))
    # 100 × (110 + 50) / (100 + 40) = 114.2857
    assert total["price_index"] == pytest.approx(16000 / 140)


def test_price_gap(ws):
    ws.load(_prices())
    by_product = ws.kpi(["price_gap"], by=["product"], start="2024-03-01", end="2024-04-01")
    # p1: 110 - min(latest X 80, latest Y 120) = 30 (X's older 70 and Z's Feb 50 do not count)
    assert only(by_product, product="p1")["price_gap"] == pytest.approx(30)
    # p2: 50 - 40 = 10
    assert only(by_product, product="p2")["price_gap"] == pytest.approx(10)
    total = one(ws.kpi(["price_gap"], start="2024-03-01", end="2024-04-01"))
    # mean over products (30 + 10) / 2 = 20
    assert total["price_gap"] == pytest.approx(20)
