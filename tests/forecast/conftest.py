from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import pilotage

DATA = Path(__file__).parent.parent / "data"


@pytest.fixture(scope="session")
def shop_folder(tmp_path_factory) -> Path:
    """A shop's transaction log and nothing else: the CDNOW sample's 6,919 purchases as orders.csv."""
    raw = pd.read_csv(DATA / "cdnow" / "CDNOW_sample.txt", sep=r"\s+", header=None,
                      names=["master_id", "customer_id", "date", "cds", "amount"], dtype={"date": str})
    folder = tmp_path_factory.mktemp("shop")
    pd.DataFrame({"order_id": range(1, len(raw) + 1), "account_id": raw["customer_id"],
                  "ordered_at": raw["date"].str[:4] + "-" + raw["date"].str[4:6] + "-" + raw["date"].str[6:],
                  "amount": raw["amount"]}).to_csv(folder / "orders.csv", index=False)
    return folder


@pytest.fixture(scope="session")
def shop_db(tmp_path_factory, shop_folder) -> str:
    path = str(tmp_path_factory.mktemp("shopdb") / "shop.duckdb")
    with pilotage.connect(path, create=True) as ws:
        ws.import_folder(shop_folder)
    return path
