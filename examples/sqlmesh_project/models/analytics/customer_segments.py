"""Customer segments: a Python model, so the demo shows one (docstring as its Dagster description)."""

import typing as t
from datetime import datetime

import pandas as pd

from sqlmesh import ExecutionContext, model


@model(
    "analytics.customer_segments",
    kind="FULL",
    cron="@daily",
    owner="sales-analytics",
    depends_on=["analytics.dim_customers"],
    columns={"customer_id": "int", "segment": "text", "lifetime_revenue_cents": "bigint"},
    column_descriptions={"segment": "'vip' from 100 EUR of lifetime revenue, 'active' with an order, else 'new'."},
)
def customer_segments(context: ExecutionContext, start: datetime, end: datetime, execution_time: datetime, **kwargs: t.Any) -> pd.DataFrame:
    """Each customer's segment from their lifetime revenue: vip, active or new.

    Computed in Python (pandas) from analytics.dim_customers.
    """
    table = context.resolve_table("analytics.dim_customers")
    customers = context.fetchdf(f"SELECT customer_id, lifetime_orders, lifetime_revenue_cents FROM {table}")
    segment = customers["lifetime_orders"].gt(0).map({True: "active", False: "new"})
    segment[customers["lifetime_revenue_cents"] >= 10_000] = "vip"
    return pd.DataFrame(
        {
            "customer_id": customers["customer_id"].astype("int64"),
            "segment": segment,
            "lifetime_revenue_cents": customers["lifetime_revenue_cents"].astype("int64"),
        }
    )
