"""The GS1 EPCIS 2.0 / CBV 2.0 standard only.

RFC 8785 canonical JSON, the CBV event hash ID, structural checks, reading and writing
documents. No database, no Oreline rules.
"""
