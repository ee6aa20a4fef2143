"""How a customer message is read sentence by sentence (index.ranking.sentences)."""

from index.ranking import MAX_SENTENCES, sentences


def test_a_message_of_one_sentence_is_read_whole_only():
    assert sentences("I was charged twice for my order, please refund the second payment") == []
    assert sentences("Hi Sam,\nI was charged twice for my order.\nThanks!") == []  # greeting and thanks are not sentences


def test_several_sentences_in_either_script_and_line_breaks():
    text = "Thanks, I'm in now. But I was charged twice for order #48213! Could you refund the second payment?"
    assert sentences(text) == ["Thanks, I'm in now.", "But I was charged twice for order #48213!",
                               "Could you refund the second payment?"]
    ru = "Спасибо, вошла. Но с меня дважды списали деньги за заказ…\nВерните, пожалуйста, второй платёж"
    assert sentences(ru) == ["Но с меня дважды списали деньги за заказ…", "Верните, пожалуйста, второй платёж"]


def test_a_long_email_is_read_in_a_bounded_number_of_sentences():
    text = " ".join(f"This is sentence number {n}." for n in range(40))
    parts = sentences(text)
    assert len(parts) == MAX_SENTENCES and parts[0] == "This is sentence number 0."


def test_the_topic_cut_is_read_off_the_library():
    """Coverage gaps cluster unanswered messages at the cut where the library's own triggers
    cluster as their templates: tight templates give a tight cut, loose ones a looser cut."""
    import numpy as np

    from index.ranking import FALLBACK_TOPIC_DISTANCE, calibrate_topic_distance

    rng = np.random.default_rng(3)

    def library(spread: float, templates: int = 12, triggers: int = 8) -> list[np.ndarray]:
        groups = []
        for _ in range(templates):
            centre = rng.normal(size=64)
            rows = centre + spread * rng.normal(size=(triggers + 1, 64))
            groups.append(rows / np.linalg.norm(rows, axis=1, keepdims=True))
        return groups

    tight, loose = calibrate_topic_distance(library(0.3)), calibrate_topic_distance(library(0.9))
    assert tight < loose, (tight, loose)
    assert calibrate_topic_distance(library(0.3, templates=3)) == FALLBACK_TOPIC_DISTANCE  # too few to say
