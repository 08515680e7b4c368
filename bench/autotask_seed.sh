#!/usr/bin/env bash
# Data for bench/autotask_sync.sh: an emulator-autotask seed and the file-drop usage CSV.
#
# Usage: bench/autotask_seed.sh seed  COMPANIES SERVICES START END > seed.json
#        bench/autotask_seed.sh usage COMPANIES SERVICES DATE CHANGED > usage.csv
#   seed   COMPANIES customer companies (ids 1001...), each with one active (status 1) Recurring
#          Service contract (contractType 7, ids 20001...) from START to END (yyyy-mm-dd), and
#          SERVICES catalog services (ids 301...); no contract services: the first sync creates
#          them. The API user is the one of tests/emulators/autotask/seed-example.json.
#   usage  one CSV row per (customer, SKU) on DATE: customers c-0001... (named like the
#          companies), SKUs SKU-1... (named like the services), quantity 1 + (7c + 13s) % 50.
#          CHANGED (0 <= CHANGED <= COMPANIES x SERVICES) spreads that many increases evenly over
#          the rows (row r changes when r * CHANGED / rows steps up), each +1..+5: a sync after it
#          writes exactly CHANGED lines and holds none for approval.
# Deterministic: the same arguments give the same bytes.
set -euo pipefail

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -eq 5 ] || usage

case $1 in
  seed)
    awk -v companies="$2" -v services="$3" -v start="$4" -v end="$5" 'BEGIN {
      print "{\"zone\": {\"zoneName\": \"Benchmark Zone\", \"ci\": 1},"
      print " \"apiUsers\": [{\"userName\": \"api-meterbridge@msp.example\", \"secret\": \"emulator-secret-1\","
      print "               \"apiIntegrationCode\": \"METERBRIDGE-TRACKING-ID\"}],"
      print " \"resources\": [29682885], \"externalRequestThreshold\": 10000, \"requestThresholdTimeframe\": 60,"
      printf " \"companies\": ["
      for (c = 1; c <= companies; c++)
        printf "%s\n  {\"id\": %d, \"companyName\": \"Bench Customer %04d\", \"companyNumber\": \"B-%04d\", \"companyType\": 1, \"ownerResourceID\": 29682885, \"phone\": \"555-0100\", \"isActive\": true, \"parentCompanyID\": null, \"userDefinedFields\": []}", (c > 1 ? "," : ""), 1000 + c, c, c
      print "],"
      printf " \"contracts\": ["
      for (c = 1; c <= companies; c++)
        printf "%s\n  {\"id\": %d, \"companyID\": %d, \"contractName\": \"Managed Services %04d\", \"contractNumber\": \"K-%04d\", \"contractType\": 7, \"status\": 1, \"startDate\": \"%sT00:00:00\", \"endDate\": \"%sT00:00:00\", \"contractCategory\": 1, \"billingPreference\": 1, \"isDefaultContract\": false, \"timeReportingRequiresStartAndStopTimes\": false, \"userDefinedFields\": []}", (c > 1 ? "," : ""), 20000 + c, 1000 + c, c, c, start, end
      print "],"
      printf " \"services\": ["
      for (s = 1; s <= services; s++)
        printf "%s\n  {\"id\": %d, \"name\": \"Bench Service %d\", \"billingCodeID\": 29682801, \"periodType\": \"m\", \"unitPrice\": %d.5, \"unitCost\": 1.0, \"markupRate\": null, \"invoiceDescription\": \"Bench service %d\", \"isActive\": true, \"vendorCompanyID\": null}", (s > 1 ? "," : ""), 300 + s, s, s + 1, s
      print "]}"
    }'
    ;;
  usage)
    awk -v companies="$2" -v services="$3" -v date="$4" -v changed="$5" 'BEGIN {
      rows = companies * services
      if (changed < 0 || changed > rows) { print "CHANGED must be 0.." rows > "/dev/stderr"; exit 2 }
      print "date,customer_id,customer_name,sku,product_name,metric,quantity"
      r = 0
      for (c = 1; c <= companies; c++) {
        for (s = 1; s <= services; s++) {
          q = 1 + (7 * c + 13 * s) % 50
          if (int((r + 1) * changed / rows) > int(r * changed / rows)) q += 1 + r % 5
          printf "%s,c-%04d,Bench Customer %04d,SKU-%d,Bench Service %d,units,%d\n", date, c, c, s, s, q
          r++
        }
      }
    }'
    ;;
  *) usage ;;
esac
