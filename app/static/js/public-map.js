/* Maps of the public site (Leaflet, served locally; tiles only when configured).
 *
 * Any element with class "js-plot-map" becomes a map. Its data attributes:
 *   data-geojson     URL of a FeatureCollection of plots (the open-data endpoint)
 *   data-boundary    one plot's GeoJSON geometry (plot page)
 *   data-tiles       tile URL template; empty = plain background with the polygons
 *   data-attribution tile attribution
 *   data-near-url    clicking the map offers "plots near here" on this page
 *   data-near-lat/-lon/-radius  the point and radius (km) being shown
 *   data-show-county the popup names the plot's county (several counties served)
 *   data-pick-lat/-lon  ids of inputs a click fills in (tip-off form)
 * Every text from the data is set with textContent, never as HTML.
 */
(function () {
  "use strict";

  var COUNTY_CENTER = [24.38, 97.92];
  var PHASE_COLORS = {
    listed: "#d92d20",
    control: "#dc6803",
    remediation: "#b54708",
    evaluation: "#6941c6",
    released: "#079455"
  };

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function popupFor(props, showCounty) {
    var box = el("div", "plot-popup");
    box.appendChild(el("strong", "plot-popup-name", props.name));
    var place = (showCounty && props.county ? props.county + " " : "") + props.township;
    box.appendChild(el("div", "plot-popup-meta", place + " · " + props.code));
    var state = el("span", "badge rounded-pill state-badge state-" + props.state, props.state_label);
    box.appendChild(state);
    if (props.pollutants && props.pollutants.length) {
      box.appendChild(el("div", "plot-popup-meta", "关注污染物：" + props.pollutants.join("、")));
    }
    if (props.url) {
      var link = el("a", "plot-popup-link", "查看地块详情 →");
      link.href = props.url;
      box.appendChild(link);
    }
    return box;
  }

  function styleFor(feature) {
    var color = PHASE_COLORS[(feature.properties || {}).phase] || "#0b5d3b";
    return { color: color, weight: 2, fillColor: color, fillOpacity: 0.35 };
  }

  function addTiles(map, node) {
    var tiles = node.getAttribute("data-tiles");
    if (tiles) {
      L.tileLayer(tiles, {
        maxZoom: 19,
        attribution: node.getAttribute("data-attribution") || ""
      }).addTo(map);
      node.classList.add("has-tiles");
    } else {
      node.classList.add("no-tiles");
    }
  }

  // Without tiles, township names give a reader their bearings.
  function townshipLabels(map, features) {
    var groups = {};
    features.forEach(function (f) {
      var p = f.properties || {};
      if (!f.geometry || !p.township) return;
      var ring = f.geometry.coordinates[0];
      var lat = 0, lon = 0;
      for (var i = 0; i < ring.length - 1; i++) { lon += ring[i][0]; lat += ring[i][1]; }
      var n = Math.max(ring.length - 1, 1);
      // Two counties may have townships of the same name: one label per county's township.
      var key = (p.county_code || "") + "|" + p.township;
      var g = groups[key] || (groups[key] = { name: p.township, lat: 0, lon: 0, n: 0 });
      g.lat += lat / n; g.lon += lon / n; g.n += 1;
    });
    Object.keys(groups).forEach(function (key) {
      var g = groups[key];
      L.tooltip({ permanent: true, direction: "top", offset: [0, -10], className: "township-label",
        interactive: false })
        .setLatLng([g.lat / g.n, g.lon / g.n])
        .setContent(el("span", null, g.name))
        .addTo(map);
    });
  }

  function nearLink(node, latlng, radius) {
    var params = new URLSearchParams(window.location.search);
    params.delete("page");
    params.set("lat", latlng.lat.toFixed(6));
    params.set("lon", latlng.lng.toFixed(6));
    params.set("radius", String(radius || params.get("radius") || 3));
    return node.getAttribute("data-near-url") + "?" + params.toString();
  }

  function offerNear(map, node) {
    map.on("click", function (e) {
      var box = el("div", "plot-popup");
      box.appendChild(el("div", "plot-popup-meta",
        "位置 " + e.latlng.lat.toFixed(4) + ", " + e.latlng.lng.toFixed(4)));
      [1, 3, 5].forEach(function (r) {
        var a = el("a", "plot-popup-link d-block", "查看周边 " + r + " 公里内的地块 →");
        a.href = nearLink(node, e.latlng, r);
        box.appendChild(a);
      });
      L.popup().setLatLng(e.latlng).setContent(box).openOn(map);
    });
  }

  function showNear(map, node) {
    var lat = parseFloat(node.getAttribute("data-near-lat"));
    var lon = parseFloat(node.getAttribute("data-near-lon"));
    var radius = parseFloat(node.getAttribute("data-near-radius"));
    if (isNaN(lat) || isNaN(lon)) return null;
    var circle = L.circle([lat, lon], {
      radius: (radius || 3) * 1000, color: "#1849a9", weight: 1.5, dashArray: "5 4",
      fillColor: "#1849a9", fillOpacity: 0.06, interactive: false
    }).addTo(map);
    L.circleMarker([lat, lon], { radius: 6, color: "#fff", weight: 2, fillColor: "#1849a9",
      fillOpacity: 1, interactive: false }).addTo(map);
    return circle.getBounds();
  }

  function setupPick(map, node) {
    var latInput = document.getElementById(node.getAttribute("data-pick-lat"));
    var lonInput = document.getElementById(node.getAttribute("data-pick-lon"));
    var status = document.getElementById(node.getAttribute("data-pick-status"));
    var clear = document.getElementById(node.getAttribute("data-pick-clear"));
    var marker = null;
    function place(latlng) {
      latInput.value = latlng.lat.toFixed(6);
      lonInput.value = latlng.lng.toFixed(6);
      if (marker) { marker.setLatLng(latlng); } else {
        marker = L.circleMarker(latlng, { radius: 9, color: "#fff", weight: 3,
          fillColor: "#1849a9", fillOpacity: 1, className: "pick-marker" }).addTo(map);
      }
      if (status) status.textContent = "已选位置：" + latlng.lat.toFixed(5) + ", " + latlng.lng.toFixed(5);
      if (clear) clear.hidden = false;
    }
    if (latInput.value && lonInput.value) {
      place(L.latLng(parseFloat(latInput.value), parseFloat(lonInput.value)));
    }
    map.on("click", function (e) { place(e.latlng); });
    if (clear) {
      clear.addEventListener("click", function () {
        latInput.value = ""; lonInput.value = "";
        if (marker) { map.removeLayer(marker); marker = null; }
        if (status) status.textContent = "未选择位置（可选）";
        clear.hidden = true;
      });
    }
    node.addEventListener("map:located", function (e) { place(e.detail); map.setView(e.detail, 15); });
  }

  function init(node) {
    var map = L.map(node, { scrollWheelZoom: false, zoomSnap: 0.5, tap: true });
    map.attributionControl.setPrefix(false);
    node._leafletMap = map;
    addTiles(map, node);
    L.control.scale({ imperial: false }).addTo(map);
    map.setView(COUNTY_CENTER, 10);

    var nearBounds = showNear(map, node);
    if (node.hasAttribute("data-near-url")) offerNear(map, node);
    if (node.hasAttribute("data-pick-lat")) setupPick(map, node);

    var boundary = node.getAttribute("data-boundary");
    if (boundary) {
      var geom = JSON.parse(boundary);
      if (geom) {
        var layer = L.geoJSON(geom, { style: function () {
          return { color: node.getAttribute("data-color") || "#0b5d3b", weight: 3, fillOpacity: 0.3 };
        } }).addTo(map);
        map.fitBounds(layer.getBounds(), { padding: [30, 30], maxZoom: 16, animate: false });
      }
    }

    var url = node.getAttribute("data-geojson");
    var showCounty = node.hasAttribute("data-show-county");
    if (url) {
      fetch(url, { headers: { Accept: "application/geo+json" }, credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
        .then(function (data) {
          var features = (data.features || []).filter(function (f) { return f.geometry; });
          var layer = L.geoJSON({ type: "FeatureCollection", features: features }, {
            style: styleFor,
            onEachFeature: function (feature, lyr) {
              lyr.bindPopup(popupFor(feature.properties || {}, showCounty));
              lyr.bindTooltip(el("span", null, (feature.properties || {}).name), { sticky: true });
            }
          }).addTo(map);
          // A plot is a few hundred metres across: at county scale its outline is a
          // speck, so a dot marks it until the map is zoomed in far enough.
          var dots = L.layerGroup(features.map(function (f) {
            var center = L.geoJSON(f).getBounds().getCenter();
            var s = styleFor(f);
            return L.circleMarker(center, { radius: 7, color: "#fff", weight: 2,
              fillColor: s.color, fillOpacity: 0.95, className: "plot-dot" })
              .bindPopup(popupFor(f.properties || {}, showCounty))
              .bindTooltip(el("span", null, (f.properties || {}).name));
          }));
          function toggleDots() {
            if (map.getZoom() < 14) { dots.addTo(map); } else { map.removeLayer(dots); }
          }
          map.on("zoomend", toggleDots);
          if (!node.classList.contains("has-tiles")) townshipLabels(map, features);
          if (nearBounds) {
            map.fitBounds(nearBounds, { padding: [10, 10], animate: false });
          } else if (features.length) {
            map.fitBounds(layer.getBounds(), { padding: [24, 24], maxZoom: 15, animate: false });
          }
          toggleDots();
          node.setAttribute("data-loaded", String(features.length));
        })
        .catch(function () {
          node.setAttribute("data-loaded", "error");
          var note = el("div", "map-error", "地图数据暂时无法加载，请稍后刷新。");
          node.appendChild(note);
        });
    } else {
      node.setAttribute("data-loaded", "0");
    }
  }

  function setupLocate(button) {
    if (!("geolocation" in navigator)) { button.hidden = true; return; }
    button.addEventListener("click", function () {
      var node = document.getElementById(button.getAttribute("data-target"));
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(function (pos) {
        button.disabled = false;
        var latlng = L.latLng(pos.coords.latitude, pos.coords.longitude);
        if (node.hasAttribute("data-near-url")) {
          window.location.href = nearLink(node, latlng, 3);
        } else {
          node.dispatchEvent(new CustomEvent("map:located", { detail: latlng }));
        }
      }, function () {
        button.disabled = false;
        button.textContent = "无法获取位置，请在地图上点选";
      }, { enableHighAccuracy: true, timeout: 10000 });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (typeof L === "undefined") return;
    Array.prototype.forEach.call(document.querySelectorAll(".js-plot-map"), init);
    Array.prototype.forEach.call(document.querySelectorAll(".js-locate"), setupLocate);
  });
})();
