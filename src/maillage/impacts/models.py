"""Impact coefficients and computations come here (issue 15). Activity reports, the data they
start from, are in the catalog (`maillage.catalog.activity`)."""
