package io.lmaas.worker.starter;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Generates English news-style sentences about four topics from a seeded grammar: the data the starter
 * models are trained on, so the platform works fully offline. Combinatorial (tens of thousands of
 * distinct sentences), so a held-out set drawn with another seed is mostly unseen in training.
 */
public final class SyntheticTopics {
    public static final List<String> LABELS = List.of("sports", "technology", "weather", "finance");

    /** One labelled sentence. */
    public record Example(String text, String label) {
    }

    private record Topic(String label, String[] subjects, String[] verbs, String[] objects, String[] modifiers) {
    }

    private static final List<Topic> TOPICS = List.of(
            new Topic("sports",
                    new String[] {"the striker", "our goalkeeper", "the home team", "the coach", "the champion",
                        "the young sprinter", "the captain", "the visiting side", "the tennis star", "the midfielder"},
                    new String[] {"scored", "won", "defended", "lost", "celebrated", "trained for", "missed",
                        "qualified for", "dominated", "played"},
                    new String[] {"the final match", "a late goal", "the championship", "the penalty", "the league title",
                        "the marathon", "the second half", "the tournament", "the cup final", "a gold medal"},
                    new String[] {"in front of a packed stadium", "after extra time", "during the derby",
                        "before the playoffs", "at the olympic stadium", "with a stunning header", "in the rain",
                        "despite an injury"}),
            new Topic("technology",
                    new String[] {"the startup", "the new smartphone", "our engineers", "the software update",
                        "the chip maker", "the cloud provider", "the developers", "the robot", "the browser",
                        "the open source project"},
                    new String[] {"released", "patched", "launched", "upgraded", "shipped", "crashed", "encrypted",
                        "benchmarked", "debugged", "deployed"},
                    new String[] {"a faster processor", "the mobile app", "a security fix", "the database", "new firmware",
                        "the operating system", "a machine learning model", "the server cluster", "the battery driver",
                        "the programming interface"},
                    new String[] {"after a long beta", "for millions of users", "with better performance",
                        "in the data center", "ahead of the developer conference", "to fix a critical bug",
                        "on every laptop", "with a new compiler"}),
            new Topic("weather",
                    new String[] {"the storm", "a cold front", "the forecast", "heavy rain", "the hurricane",
                        "strong winds", "the heat wave", "morning fog", "the snowfall", "a thunderstorm"},
                    new String[] {"flooded", "battered", "cooled", "swept across", "delayed", "covered", "reached",
                        "hit", "soaked", "warmed"},
                    new String[] {"the coastal towns", "the northern valleys", "the mountain roads", "the city streets",
                        "the farmland", "the harbor", "the airport", "the river banks", "the highlands", "the islands"},
                    new String[] {"with temperatures near freezing", "as clouds gathered", "overnight",
                        "with gusts of wind", "under grey skies", "before the sunshine returned", "all weekend",
                        "during the monsoon"}),
            new Topic("finance",
                    new String[] {"the central bank", "investors", "the stock market", "the bond market", "the hedge fund",
                        "shareholders", "the bank", "the currency", "the pension fund", "the quarterly report"},
                    new String[] {"raised", "cut", "rallied on", "dropped", "boosted", "bought", "sold", "hedged",
                        "priced in", "reported"},
                    new String[] {"interest rates", "the dividend", "share prices", "the loan portfolio",
                        "quarterly earnings", "the index", "the trading volume", "mortgage rates", "the exchange rate",
                        "its profit forecast"},
                    new String[] {"after the earnings call", "amid recession fears", "on wall street", "as markets opened",
                        "despite rising debt", "ahead of the budget", "in early trading", "after the merger"}));

    /**
     * Three topics the starter classifier never saw — cooking, music, travel — for fine-tuning demos and
     * tests: the label set is new, the vocabulary mostly too.
     */
    public static final List<String> NOVEL_LABELS = List.of("cooking", "music", "travel");

    private static final List<Topic> NOVEL = List.of(
            new Topic("cooking",
                    new String[] {"the chef", "my grandmother", "the baker", "the pastry cook", "the sous chef",
                        "the home cook", "the food critic", "the kitchen team", "the caterer", "the butcher"},
                    new String[] {"simmered", "baked", "seasoned", "roasted", "whisked", "glazed", "marinated",
                        "braised", "kneaded", "garnished"},
                    new String[] {"the lamb stew", "a lemon tart", "the sourdough loaf", "fresh pasta", "the tomato sauce",
                        "a chocolate souffle", "the risotto", "spiced lentils", "the apple pie", "a garlic butter"},
                    new String[] {"with fresh basil", "over a low flame", "for the dinner party", "in a cast iron pan",
                        "with a pinch of saffron", "until golden brown", "from an old family recipe", "for the holiday feast"}),
            new Topic("music",
                    new String[] {"the orchestra", "the guitarist", "the choir", "the jazz trio", "the violinist",
                        "the band", "the conductor", "the pianist", "the singer", "the drummer"},
                    new String[] {"performed", "rehearsed", "composed", "recorded", "improvised", "tuned", "conducted",
                        "harmonized", "arranged", "sang"},
                    new String[] {"a new symphony", "the opening chord", "a minor melody", "the encore", "the slow ballad",
                        "a string quartet", "the chorus", "the bass line", "an old folk song", "the sonata"},
                    new String[] {"at the concert hall", "with a soaring crescendo", "in perfect harmony", "on vinyl",
                        "during the festival", "with a gentle tempo", "before a silent audience", "in the recording studio"}),
            new Topic("travel",
                    new String[] {"the backpackers", "our tour guide", "the cruise ship", "the pilgrims", "the hikers",
                        "the travel blogger", "the ferry", "the night train", "the tourists", "the explorer"},
                    new String[] {"visited", "toured", "crossed", "booked", "explored", "sailed to", "hiked through",
                        "photographed", "wandered through", "arrived at"},
                    new String[] {"the ancient ruins", "a hidden beach", "the old town", "the mountain pass",
                        "a boutique hotel", "the night market", "the border crossing", "the desert oasis",
                        "the cathedral", "the fjords"},
                    new String[] {"with a rented camper van", "on a budget", "during the summer holidays",
                        "with a passport full of stamps", "after a long layover", "by bicycle", "on a guided tour",
                        "at sunrise"}));

    private static final String[] OPENERS = {"", "", "", "yesterday ", "today ", "this morning ", "reports say ",
        "once again ", "according to local news "};

    private SyntheticTopics() {
    }

    public static Example sentence(Random random) {
        Topic t = TOPICS.get(random.nextInt(TOPICS.size()));
        return new Example(sentence(t, random), t.label());
    }

    private static String sentence(Topic t, Random random) {
        String core = pick(t.subjects(), random) + " " + pick(t.verbs(), random) + " " + pick(t.objects(), random);
        return switch (random.nextInt(4)) {
            case 0 -> pick(OPENERS, random) + core;
            case 1 -> pick(OPENERS, random) + core + " " + pick(t.modifiers(), random);
            case 2 -> pick(t.modifiers(), random) + ", " + core;
            default -> pick(OPENERS, random) + core + " and " + pick(t.verbs(), random) + " " + pick(t.objects(), random);
        };
    }

    public static List<Example> examples(int count, long seed) {
        Random random = new Random(seed);
        List<Example> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(sentence(random));
        }
        return out;
    }

    /** Labelled sentences about the {@link #NOVEL_LABELS} topics. */
    public static List<Example> novelExamples(int count, long seed) {
        Random random = new Random(seed);
        List<Example> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            Topic t = NOVEL.get(random.nextInt(NOVEL.size()));
            out.add(new Example(sentence(t, random), t.label()));
        }
        return out;
    }

    /**
     * A corpus for the language model: short single-topic paragraphs, each ended by {@code separator}
     * (the end-of-text token), so the model learns to stay on the prompt's topic and when to stop.
     */
    public static String corpus(int paragraphs, long seed, String separator) {
        Random random = new Random(seed);
        StringBuilder sb = new StringBuilder();
        for (int p = 0; p < paragraphs; p++) {
            Topic t = TOPICS.get(random.nextInt(TOPICS.size()));
            int sentences = 2 + random.nextInt(3);
            for (int s = 0; s < sentences; s++) {
                sb.append(sentence(t, random)).append(". ");
            }
            sb.setLength(sb.length() - 1);
            sb.append(separator);
        }
        return sb.toString();
    }

    private static String pick(String[] options, Random random) {
        return options[random.nextInt(options.length)];
    }
}
