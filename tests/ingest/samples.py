"""Small but schema-faithful OCR files (ALTO v2-v4, PAGE 2013/2019) for the tests."""

from __future__ import annotations

ALTO_NS = {
    2: "http://www.loc.gov/standards/alto/ns-v2#",
    3: "http://www.loc.gov/standards/alto/ns-v3#",
    4: "http://www.loc.gov/standards/alto/ns-v4#",
}
PAGE_NS = {
    2013: "http://schema.primaresearch.org/PAGE/gts/pagecontent/2013-07-15",
    2019: "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15",
}


def alto(version: int = 4, image: str | None = "page.jpg") -> str:
    source = (f"<sourceImageInformation><fileName>{image}</fileName></sourceImageInformation>"
              if image else "")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alto xmlns="{ALTO_NS[version]}">
  <Description><MeasurementUnit>pixel</MeasurementUnit>{source}</Description>
  <Layout>
    <Page ID="P1" WIDTH="1200" HEIGHT="1800" PHYSICAL_IMG_NR="1">
      <PrintSpace>
        <TextBlock ID="B1">
          <TextLine ID="L1">
            <String CONTENT="LE" WC="0.9"/><SP/><String CONTENT="PETIT" WC="0.8"/>
            <SP/><String CONTENT="JOUR" WC="1.0"/>
          </TextLine>
          <TextLine ID="L2">
            <String CONTENT="Paris," WC="0.7"/><SP/><String CONTENT="le" WC="0.6"/>
            <SP/><String CONTENT="ven" WC="0.5"/><HYP CONTENT="-"/>
          </TextLine>
        </TextBlock>
        <TextBlock ID="B2">
          <TextLine ID="L3"><String CONTENT="dredi" WC="0.5"/></TextLine>
        </TextBlock>
      </PrintSpace>
    </Page>
  </Layout>
</alto>
"""


# "ven" + HYP, and "dredi" opening the next block: one word, "vendredi"
ALTO_TEXT = "LE PETIT JOUR\nParis, le vendredi"
ALTO_MEAN_WC = (0.9 + 0.8 + 1.0 + 0.7 + 0.6 + 0.5 + 0.5) / 7


def page_xml(year: int = 2019, image: str | None = "page.jpg", words: bool = True) -> str:
    img = f' imageFilename="{image}"' if image else ""
    if words:
        line1 = """<TextLine id="l1"><Coords points="0,0 1,1"/>
            <Word id="w1"><Coords points="0,0 1,1"/><TextEquiv conf="0.9"><Unicode>Der</Unicode></TextEquiv></Word>
            <Word id="w2"><Coords points="0,0 1,1"/><TextEquiv conf="0.7"><Unicode>Tag</Unicode></TextEquiv></Word>
            <TextEquiv conf="0.8"><Unicode>Der Tag</Unicode></TextEquiv>
          </TextLine>"""
    else:
        line1 = """<TextLine id="l1"><Coords points="0,0 1,1"/>
            <TextEquiv conf="0.8"><Unicode>Der Tag</Unicode></TextEquiv></TextLine>"""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<PcGts xmlns="{PAGE_NS[year]}">
  <Metadata><Creator>test</Creator></Metadata>
  <Page{img} imageWidth="800" imageHeight="1200">
    <TextRegion id="r1"><Coords points="0,0 1,1"/>
      {line1}
      <TextLine id="l2"><Coords points="0,0 1,1"/>
        <TextEquiv index="2" conf="0.1"><Unicode>alternative</Unicode></TextEquiv>
        <TextEquiv index="1" conf="0.6"><Unicode>bricht an</Unicode></TextEquiv>
      </TextLine>
      <TextEquiv><Unicode>Der Tag
bricht an</Unicode></TextEquiv>
    </TextRegion>
  </Page>
</PcGts>
"""


EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE alto [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#"><Layout><Page><PrintSpace>
<TextBlock><TextLine><String CONTENT="&secret;"/></TextLine></TextBlock>
</PrintSpace></Page></Layout></alto>
"""

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#"><Layout><Page><PrintSpace>
<TextBlock><TextLine><String CONTENT="&lol9;"/></TextLine></TextBlock>
</PrintSpace></Page></Layout></alto>
"""


def mets(pages: int = 2, missing_ocr_for: int | None = None) -> str:
    files_img = "".join(
        f'<mets:file ID="IMG{i}" MIMETYPE="image/jpeg"><mets:FLocat LOCTYPE="URL" '
        f'xlink:href="images/{i:04d}.jpg"/></mets:file>' for i in range(1, pages + 1))
    files_ocr = "".join(
        f'<mets:file ID="OCR{i}" MIMETYPE="text/xml"><mets:FLocat LOCTYPE="URL" '
        f'xlink:href="alto/{i:04d}.xml"/></mets:file>' for i in range(1, pages + 1))
    divs = "".join(
        f'<mets:div ID="PHYS{i}" TYPE="page" ORDER="{i}" ORDERLABEL="[{i}]">'
        f'<mets:fptr FILEID="IMG{i}"/>'
        + ("" if i == missing_ocr_for else f'<mets:fptr FILEID="OCR{i}"/>')
        + "</mets:div>" for i in range(1, pages + 1))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<mets:mets xmlns:mets="http://www.loc.gov/METS/" xmlns:xlink="http://www.w3.org/1999/xlink"
           xmlns:mods="http://www.loc.gov/mods/v3" OBJID="book1">
  <mets:dmdSec ID="DMD1"><mets:mdWrap MDTYPE="MODS"><mets:xmlData>
    <mods:mods><mods:titleInfo><mods:title>Le Petit Journal</mods:title></mods:titleInfo></mods:mods>
  </mets:xmlData></mets:mdWrap></mets:dmdSec>
  <mets:fileSec>
    <mets:fileGrp USE="DEFAULT">{files_img}</mets:fileGrp>
    <mets:fileGrp USE="FULLTEXT">{files_ocr}</mets:fileGrp>
  </mets:fileSec>
  <mets:structMap TYPE="LOGICAL"><mets:div TYPE="issue"/></mets:structMap>
  <mets:structMap TYPE="PHYSICAL">
    <mets:div ID="PHYS0" TYPE="physSequence">{divs}</mets:div>
  </mets:structMap>
</mets:mets>
"""
