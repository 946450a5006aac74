"""Random-weight models written locally: the demo model, its refiner, full-size SDXL."""
