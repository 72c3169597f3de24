"""The synthetic demo data set: generation (pure) and loading (store)."""

from etl.demo.generate import DemoData, Vintage, generate_demo
from etl.demo.load import load_demo

__all__ = ["DemoData", "Vintage", "generate_demo", "load_demo"]
