"""Graphic regions in ALTO and PAGE XML become training boxes (meta["boxes"]) that
graphic-windows reads, scaled to the page image through meta["boxes_size"]."""

from __future__ import annotations

from .conftest import write_jpeg
from .samples import ALTO_NS, PAGE_NS

ESCRIPTORIUM_ALTO = f"""<?xml version="1.0" encoding="UTF-8"?>
<alto xmlns="{ALTO_NS[4]}">
  <Description><MeasurementUnit>pixel</MeasurementUnit>
    <sourceImageInformation><fileName>f10.jpg</fileName></sourceImageInformation>
  </Description>
  <Tags>
    <OtherTag ID="BT1" LABEL="MainZone" DESCRIPTION="block type MainZone"/>
    <OtherTag ID="BT2" LABEL="GraphicZone" DESCRIPTION="block type GraphicZone"/>
    <OtherTag ID="BT3" LABEL="DropCapitalZone" DESCRIPTION="block type DropCapitalZone"/>
  </Tags>
  <Layout>
    <Page ID="P1" WIDTH="2400" HEIGHT="3600" PHYSICAL_IMG_NR="1">
      <PrintSpace>
        <TextBlock ID="b1" TAGREFS="BT2" HPOS="200" VPOS="300" WIDTH="1000" HEIGHT="800"/>
        <TextBlock ID="b2" TAGREFS="BT3" HPOS="100" VPOS="1200" WIDTH="150" HEIGHT="150"/>
        <TextBlock ID="b3" TAGREFS="BT1" HPOS="100" VPOS="1200" WIDTH="2000" HEIGHT="2000">
          <TextLine ID="l1"><String CONTENT="Cy" WC="0.9"/><SP/><String CONTENT="commence"/></TextLine>
        </TextBlock>
        <TextBlock ID="b4" TAGREFS="BT2" HPOS="x" VPOS="10" WIDTH="10" HEIGHT="10"/>
        <Illustration ID="i1" HPOS="400" VPOS="3300" WIDTH="1600" HEIGHT="60"/>
        <GraphicalElement ID="g1" HPOS="0" VPOS="1190" WIDTH="2400" HEIGHT="4"/>
      </PrintSpace>
    </Page>
  </Layout>
</alto>
"""

PAGE_WITH_REGIONS = f"""<?xml version="1.0" encoding="UTF-8"?>
<PcGts xmlns="{PAGE_NS[2019]}">
  <Metadata><Creator>test</Creator></Metadata>
  <Page imageFilename="absent.jpg" imageWidth="800" imageHeight="1200">
    <ImageRegion id="r1"><Coords points="100,100 500,100 500,400 100,400"/></ImageRegion>
    <GraphicRegion id="r2" type="decoration"><Coords points="50,1000 750,1000 750,1020 50,1020"/></GraphicRegion>
    <GraphicRegion id="r3" type="stamp"><Coords points="600,50 700,50 700,150 600,150"/></GraphicRegion>
    <ImageRegion id="r4"><Coords points="1,1"/></ImageRegion>
  </Page>
</PcGts>
"""


def test_escriptorium_alto_graphic_zones_and_illustrations_become_boxes(make_ws, tmp_path):
    from glamlab.predictors.image.windows import _image_size, item_boxes

    ws = make_ws()
    write_jpeg(tmp_path / "f10.jpg", (600, 900))  # a quarter-size rendering of the page
    (tmp_path / "f10.xml").write_text(ESCRIPTORIUM_ALTO)
    ws.ingest([tmp_path / "f10.xml"])
    item = ws.item("f10")
    # the GraphicZone block and the Illustration; not the drop capital, the main zone,
    # the separator line, or a block whose position is not a number
    assert item.meta["boxes"] == [[400.0, 3300.0, 1600.0, 60.0], [200.0, 300.0, 1000.0, 800.0]]
    assert item.meta["boxes_size"] == [2400.0, 3600.0]
    assert item.text == "Cy commence"
    assert item_boxes(item) == [[400.0, 3300.0, 1600.0, 60.0], [200.0, 300.0, 1000.0, 800.0]]
    assert _image_size(item) == (2400, 3600)


def test_page_xml_image_and_decoration_regions_become_boxes(make_ws, tmp_path):
    ws = make_ws(modality="text")
    (tmp_path / "p.xml").write_text(PAGE_WITH_REGIONS)
    ws.ingest([tmp_path / "p.xml"])
    meta = ws.item("p").meta
    assert meta["boxes"] == [[100.0, 100.0, 400.0, 300.0], [50.0, 1000.0, 700.0, 20.0]]
    assert meta["boxes_size"] == [800, 1200]


def test_ocr_without_graphic_regions_has_no_boxes(make_ws, tmp_path):
    from .samples import alto

    ws = make_ws(modality="text")
    (tmp_path / "p1.xml").write_text(alto(4, image=None))
    ws.ingest([tmp_path / "p1.xml"])
    assert "boxes" not in ws.item("p1").meta


# PAGE as written before 2013 (pagecontent/2010-03-19: the IMPACT ground truth, Aletheia
# of that time): each Coords holds Point elements instead of a points attribute
PAGE_2010 = """<?xml version="1.0" encoding="UTF-8"?>
<PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/2010-03-19"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" pcGtsId="pc-00458239">
  <Metadata><Creator>Aletheia</Creator><Created>2010-09-08T12:23:24</Created>
    <LastChange>2010-09-08T14:02:11</LastChange></Metadata>
  <Page imageFilename="00458239.tif" imageWidth="1600" imageHeight="2400">
    <ReadingOrder><OrderedGroup id="ro1"><RegionRefIndexed regionRef="r1" index="0"/>
    </OrderedGroup></ReadingOrder>
    <TextRegion id="r1" type="paragraph">
      <Coords><Point x="100" y="200"/><Point x="900" y="200"/><Point x="900" y="300"/>
        <Point x="100" y="300"/></Coords>
      <TextLine id="r1l1">
        <Coords><Point x="100" y="200"/><Point x="900" y="200"/><Point x="900" y="260"/>
          <Point x="100" y="260"/></Coords>
        <Word id="w1"><Coords><Point x="100" y="205"/><Point x="380" y="205"/>
          <Point x="380" y="255"/><Point x="100" y="255"/></Coords>
          <TextEquiv><Unicode>Amsterdam</Unicode></TextEquiv></Word>
        <Word id="w2"><Coords><Point x="420" y="210"/><Point x="600" y="210"/>
          <Point x="600" y="250"/><Point x="420" y="250"/></Coords>
          <TextEquiv><Unicode>1784</Unicode></TextEquiv></Word>
        <TextEquiv><Unicode>Amsterdam 1784</Unicode></TextEquiv>
      </TextLine>
    </TextRegion>
    <ImageRegion id="r2"><Coords><Point x="100" y="400"/><Point x="1500" y="400"/>
      <Point x="1500" y="1400"/><Point x="100" y="1400"/></Coords></ImageRegion>
  </Page>
</PcGts>
"""


def test_page_2010_point_coordinates_give_word_and_graphic_boxes(tmp_path):
    # the words' boxes (which place an entity's mention in the IIIF export) and the
    # picture's box (graphic-windows) were lost: only Coords@points was read
    from glamlab.ingest import xml

    (tmp_path / "00458239.xml").write_text(PAGE_2010, encoding="utf-8")
    page = xml.parse_file(tmp_path / "00458239.xml")
    assert page.text == "Amsterdam 1784"
    assert page.extra["word_boxes"] == [0, 9, 100, 205, 280, 50, 10, 14, 420, 210, 180, 40]
    assert page.extra["boxes"] == [[100.0, 400.0, 1400.0, 1000.0]]
    assert page.extra["boxes_size"] == [1600, 2400]
