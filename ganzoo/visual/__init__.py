"""visual"""
