from pathlib import Path

import pandas as pd
import pytest

DATA = Path(__file__).parent.parent / "data"


@pytest.fixture(scope="session")
def cdnow_summary() -> pd.DataFrame:
    """The 2,357-customer CDNOW calibration summary of the papers (x, t_x, T in weeks, zbar)."""
    return pd.read_csv(DATA / "cdnow" / "cdnow_customers_summary_with_transactions.csv")


@pytest.fixture(scope="session")
def cdnow_purchases() -> pd.DataFrame:
    """The raw purchases of the same 2,357 customers (1997-01 to 1998-06)."""
    return pd.read_csv(DATA / "cdnow" / "CDNOW_sample.txt", sep=r"\s+", header=None,
                       names=["master_id", "customer_id", "date", "cds", "amount"], dtype={"date": str})
