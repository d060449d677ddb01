/* Territory map: the outline served by Maillage, and for groupings the simplified outlines of
   their members as a light background layer. No web tiles unless the site configures a URL
   (machines may be offline). Progressive enhancement: the page already gives the extent in
   text and a GeoJSON download link. */
(function () {
  "use strict";
  var el = document.getElementById("carte");
  if (!el || !window.L || !window.fetch) {
    return;
  }
  var data = el.dataset;
  var map = L.map(el, { zoomSnap: 0.25, scrollWheelZoom: false });
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution(data.attribution || "");

  var bbox = (data.bbox || "").split(",").map(Number);
  if (bbox.length === 4 && bbox.every(isFinite)) {
    map.fitBounds([[bbox[1], bbox[0]], [bbox[3], bbox[2]]], { padding: [12, 12] });
  } else {
    map.setView([46.6, 2.4], 5);
  }
  if (data.tileUrl) {
    L.tileLayer(data.tileUrl, { attribution: data.tileAttribution || "" }).addTo(map);
  }

  function getJSON(url) {
    return fetch(url, { headers: { Accept: "application/geo+json" } }).then(function (r) {
      if (!r.ok) {
        throw new Error(url + " → " + r.status);
      }
      return r.json();
    });
  }

  var outlineLayer = null;
  if (data.childrenUrl) {
    getJSON(data.childrenUrl)
      .then(function (collection) {
        var layer = L.geoJSON(collection, {
          interactive: false,
          style: { color: "#6a6af4", weight: 0.8, opacity: 0.7, fillOpacity: 0.04 },
        }).addTo(map);
        layer.bringToBack();
        if (outlineLayer) {
          outlineLayer.bringToFront();
        }
      })
      .catch(function (err) {
        console.warn("Maillage : contours des membres indisponibles", err);
      });
  }

  getJSON(data.outlineUrl)
    .then(function (feature) {
      outlineLayer = L.geoJSON(feature, {
        style: { color: "#000091", weight: 2.5, fillColor: "#000091", fillOpacity: 0.12 },
      }).addTo(map);
      outlineLayer.bringToFront();
      var bounds = outlineLayer.getBounds();
      if (bounds.isValid() && !data.fixedView) {
        map.fitBounds(bounds, { padding: [12, 12] });
      }
      el.setAttribute("data-loaded", "true");
    })
    .catch(function (err) {
      console.warn("Maillage : contour indisponible", err);
    });
})();
