"""Files on disk: projects, OpenRaster, Photoshop, photos, PNG codecs, atomic writes."""
