"""The ground floor: records, errors, settings, the controlled vocabulary and file helpers.

Everything else builds on this package; it imports nothing of Kreiswissen's other packages.
"""
