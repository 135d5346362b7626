"""Where the demo county's plots lie: Longchuan's townships and a small square
plot boundary near one (shared by app/demo.py and app/demo_county.py)."""

from __future__ import annotations

# Approximate centres of Longchuan's townships (WGS84).
TOWNSHIPS = {
    "章凤镇": (24.283, 97.790),
    "陇把镇": (24.352, 97.963),
    "景罕镇": (24.228, 97.855),
    "城子镇": (24.330, 97.915),
    "户撒阿昌族乡": (24.532, 97.802),
    "护国乡": (24.606, 97.917),
    "清平乡": (24.447, 97.930),
    "王子树乡": (24.402, 98.052),
    "勐约乡": (24.251, 98.016),
    # Two neighbours of the prefecture (issue 18): 芒市 and 瑞丽市.
    "勐焕街道": (24.436, 98.586),
    "风平镇": (24.380, 98.515),
    "勐卯街道": (24.012, 97.852),
}


def box(township: str, dx: float, dy: float, size: float = 0.004) -> dict:
    lat, lon = TOWNSHIPS[township]
    lat, lon = lat + dy, lon + dx
    ring = [
        [lon, lat],
        [lon + size, lat],
        [lon + size, lat + size * 0.8],
        [lon, lat + size * 0.8],
        [lon, lat],
    ]
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}
