package io.lmaas.deploy.local;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A Chinese set made by the test (no download): four labels — 体育 (sports), 财经 (finance), 天气 (weather), 科技
 * (technology) — named by a sentence's subject, while its predicate comes from any of the four topics. The cues
 * conflict ("央行在决赛中打进了关键一球" is 财经), so a sentence's overall topic — what a frozen sentence embedding mostly
 * encodes — is no answer: the encoder has to learn to attend to the subject. A held-out set uses the last two subjects
 * of each label, which the training set never does.
 */
final class ChineseTopics {
    record Example(String text, String label) {
    }

    static final List<String> LABELS = List.of("体育", "财经", "天气", "科技");

    private static final String[][] SUBJECTS = {
        {"国家队", "主教练", "前锋", "守门员", "篮球队", "网球选手", "马拉松运动员", "游泳冠军", "足球俱乐部", "裁判"},
        {"央行", "证券交易所", "投资者", "上市公司", "商业银行", "基金经理", "财政部", "保险公司", "外汇市场", "债券市场"},
        {"气象台", "台风", "冷空气", "暴雨", "北方地区", "沿海城市", "高温天气", "大雾", "沙尘暴", "明天的天气"},
        {"科技公司", "研究团队", "新款手机", "人工智能模型", "芯片厂商", "软件开发者", "电动汽车", "搜索引擎", "卫星", "机器人"}};
    private static final String[][] PREDICATES = {
        {"在决赛中打进了关键一球", "赢得了联赛冠军", "宣布伤愈复出", "在比赛最后一分钟扳平比分", "打破了世界纪录", "签下了新合同",
            "在主场击败了对手", "被罚下场", "获得了奥运金牌", "进入了半决赛"},
        {"宣布下调存款准备金率", "公布了季度财报", "股价大幅上涨", "发行了新的国债", "收紧了贷款政策", "净利润同比增长百分之二十",
            "人民币汇率小幅走低", "成交额创下新高", "调整了贷款利率", "出现了资金外流"},
        {"发布了暴雨红色预警", "将带来大风降温", "导致多条道路积水", "让气温跌破零度", "持续了整整一周", "预计午后有雷阵雨",
            "使能见度不足一百米", "带来了大范围降雪", "让湿度明显上升", "将以晴到多云为主"},
        {"发布了新一代处理器", "推出了开源大模型", "把电池续航提升了一倍", "修复了严重的安全漏洞", "实现了自动驾驶功能", "更新了操作系统",
            "发射成功进入预定轨道", "突破了量子计算难题", "上线了语音助手", "获得了新的专利"}};
    private static final String[] OPENINGS = {"", "据报道，", "今天", "昨日", "最新消息：", "记者了解到，"};
    private static final String[] ENDINGS = {"。", "！", "，引起广泛关注。", "。"};

    private ChineseTopics() {
    }

    /** {@code perLabel} sentences of each label, shuffled, drawn with {@code seed}; held out: subjects the training never uses. */
    static List<Example> examples(int perLabel, long seed, boolean heldOut) {
        Random r = new Random(seed);
        List<Example> out = new ArrayList<>();
        for (int label = 0; label < LABELS.size(); label++) {
            for (int i = 0; i < perLabel; i++) {
                String subject = SUBJECTS[label][heldOut ? 8 + r.nextInt(2) : r.nextInt(8)];
                String predicate = PREDICATES[r.nextInt(LABELS.size())][r.nextInt(10)];
                out.add(new Example(OPENINGS[r.nextInt(OPENINGS.length)] + subject + predicate + ENDINGS[r.nextInt(ENDINGS.length)],
                        LABELS.get(label)));
            }
        }
        java.util.Collections.shuffle(out, r);
        return out;
    }

    static String jsonl(List<Example> examples) {
        StringBuilder sb = new StringBuilder();
        examples.forEach(e -> sb.append(new JsonObject().put("text", e.text()).put("label", e.label()).encode()).append('\n'));
        return sb.toString();
    }
}
