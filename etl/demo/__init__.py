"""The synthetic demo data set: generation (pure), the files a data officer would receive, their ingest.

``generate_demo`` makes the records (``etl.demo.dataset``), ``write_demo_files`` writes them as CSV
and XLSX files with Vietnamese headers (``etl.demo.files``), and ``load_demo`` loads those files
through ``etl.ingest`` exactly as a user would, flagged synthetic (``etl.demo.load``).
"""

from etl.demo.dataset import DemoData, generate_demo
from etl.demo.generate import Vintage

__all__ = ["DemoData", "Vintage", "generate_demo"]
