-- wrk: one event per request, as a browser or a small service sends them.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"event_id":"bench-1","user_id":"u42","event_type":"page_view","ts":1764460800000,"source":"web",' ..
  '"url":"https://shop.example.com/product/1001","user_agent":"Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0",' ..
  '"properties":{"product_id":"1001","price":49.9}}'
