try{feedCardJsonpCallback({
 "result": {
  "status": {
   "code": 0,
   "msg": "succ"
  },
  "timestamp": "Thu Nov 20 16:00:00 +0800 2025",
  "top": [],
  "pdps": [],
  "pageid": "155",
  "lid": "3231",
  "count": "50",
  "page": 1,
  "total": 0,
  "end": 0,
  "data": [
   {
    "docid": "comos:nfwqrta5120384",
    "url": "https://finance.sina.com.cn/china/gncj/2025-11-20/doc-infwqrta5120384.shtml",
    "wapurl": "https://finance.sina.cn/2025-11-20/detail-infwqrta5120384.d.html",
    "title": "国家统计局：10月份规模以上工业增加值同比增长5.6%",
    "intro": "中证报中国证券网讯（记者 王舒）国家统计局11月20日发布数据显示，10月份，全国规模以上工业增加值同比增长5.6%，增速比上月加快0.3个百分点；从环比看，10月份规模以上工业增",
    "summary": "",
    "keywords": "工业增加值,国家统计局",
    "ctime": "1763604728",
    "intime": "1763604728",
    "mtime": "1763604728",
    "media_name": "中国证券报",
    "author": "",
    "categoryid": "1",
    "img": {
     "u": "https://n.sinaimg.cn/finance/crawl/320/w640h380/20251120/3f1c-nfwqrta5119026.jpg",
     "w": 0,
     "h": 0
    }
   },
   {
    "docid": "comos:nfwqrtc6613092",
    "url": "https://finance.sina.com.cn/world/gjcj/2025-11-20/doc-infwqrtc6613092.shtml",
    "wapurl": "https://finance.sina.cn/2025-11-20/detail-infwqrtc6613092.d.html",
    "title": "欧洲央行管委：通胀接近目标 年内无需进一步降息",
    "intro": "新浪财经讯 北京时间11月20日，欧洲央行管委在一场公开活动中表示，欧元区通胀已接近2%的中期目标，当前利率水平处于合适位置，年内没有必要进一步降息。",
    "summary": "",
    "keywords": "欧洲央行,降息,通胀",
    "ctime": "1763596699",
    "intime": "1763596699",
    "mtime": "1763596699",
    "media_name": "新浪财经",
    "author": "",
    "categoryid": "1",
    "img": {
     "u": "",
     "w": 0,
     "h": 0
    }
   }
  ]
 }
});}catch(e){};
