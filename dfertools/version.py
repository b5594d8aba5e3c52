"""The one place the dfertools version is defined."""
__version__ = '0.1.0'
