-- wrk: 100 events per request as NDJSON, as a server-side SDK batches them; 20 users per batch.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-ndjson"
local lines = {}
for i = 1, 100 do
  lines[i] = string.format('{"event_id":"bench-%d","user_id":"u%d","event_type":"page_view","ts":1764460800000,' ..
    '"source":"web","url":"https://shop.example.com/product/%d","properties":{"product_id":"%d","price":49.9}}',
    i, i % 20, i, i)
end
wrk.body = table.concat(lines, "\n") .. "\n"
