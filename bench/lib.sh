# Inputs the benchmark scripts share (sourced after scripts/lib/common.sh).

# A scanned lab page, 1275×1650 (150 dpi) JPEG, headed by a pure red band (what the portal
# benchmark's "painted" looks for); made once at $1.
scan_page() {
  local out="$1" text="" i
  [ -s "$out" ] && return 0
  log "making a scanned page (1275×1650, 150 dpi)"
  for i in $(seq 1 40); do text+="Line $i: Haemoglobin 13.$i g/dL, WBC 6.$i x10^9/L, platelets 2${i}0 x10^9/L."$'\n'; done
  convert -size 1275x1650 xc:'#f7f5f0' -fill '#ff0000' -draw 'rectangle 100,60 1175,180' \
    -fill '#222' -font DejaVu-Sans -pointsize 20 -annotate +100+260 "$text" \
    -attenuate 0.15 +noise Gaussian -fill '#ff0000' -draw 'rectangle 100,60 1175,180' \
    -quality 80 "$out"
}
