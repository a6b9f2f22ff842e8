"""Oreline's stricter profile on top of EPCIS.

Lot master data, claims, evidence, forms, our bizSteps; parsing documents into typed
events; event builders.
"""
