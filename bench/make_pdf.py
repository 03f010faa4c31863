"""Writes PDFs for the benchmarks, xref offsets exact: `text` pages (a lab report in vector
type, a few KB a page) or `scan` pages (the given scanned JPEG, full page), each headed by a
pure red band.

usage: make_pdf.py SCAN.jpg OUT.pdf text|scan PAGES [OUT.pdf text|scan PAGES ...]
"""
import sys


def write(path, pages, extra):
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", None]
    kids = []
    for n in range(1, pages + 1):
        content, resources = extra(n, pages, objs)
        page = len(objs) + 1
        kids.append(f"{page} 0 R")
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {page + 1} 0 R /Resources {resources} >>")
        objs.append(f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream")
    objs[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {pages} >>"
    body, offsets = b"%PDF-1.4\n", []
    for i, o in enumerate(objs):
        offsets.append(len(body))
        body += f"{i + 1} 0 obj\n".encode() + (o if isinstance(o, bytes) else o.encode()) + b"\nendobj\n"
    xref = len(body)
    body += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    body += b"".join(f"{o:010} 00000 n \n".encode() for o in offsets)
    body += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    with open(path, "wb") as f:
        f.write(body)


def text_page(n, pages, objs):
    if n == 1:  # one font object for the whole document
        objs.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    font = 3
    lines = "".join(f"(Result {i}: sodium 14{i % 10} mmol/L, potassium 4.{i % 10} mmol/L, creatinine {60 + i} umol/L) Tj T* " for i in range(40))
    content = f"1 0 0 rg 50 712 512 50 re f 0 0 0 rg BT /F1 18 Tf 60 690 Td (Laboratory report, page {n} of {pages}) Tj ET BT /F1 9 Tf 12 TL 60 660 Td {lines}ET"
    return content.encode(), f"<< /Font << /F1 {font} 0 R >> >>"


def scan_page(jpeg):
    def page(n, pages, objs):
        objs.append(f"<< /Type /XObject /Subtype /Image /Width 1275 /Height 1650 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode /Length {len(jpeg)} >>\nstream\n".encode() + jpeg + b"\nendstream")
        return b"q 612 0 0 792 0 0 cm /Im1 Do Q", f"<< /XObject << /Im1 {len(objs)} 0 R >> >>"
    return page


with open(sys.argv[1], "rb") as f:
    scan = scan_page(f.read())
specs = sys.argv[2:]
for i in range(0, len(specs), 3):
    path, kind, pages = specs[i], specs[i + 1], int(specs[i + 2])
    write(path, pages, text_page if kind == "text" else scan)
